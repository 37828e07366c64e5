"""The cached validation of action-server responses behaves like Rasa's own."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from channels import performance

VALID = {"events": [{"event": "slot", "name": "phase", "value": "emergence"}], "responses": [{"text": "Bonjour"}]}


@pytest.fixture
def action():
    performance.install()
    return RemoteAction("action_suggest_next_steps", None)


def test_valid_response_is_accepted(action):
    assert action._validate_action_result(VALID) is True


@pytest.mark.parametrize("result", [{"events": "pas une liste"}, {"events": [{"event": 3}]}, {"responses": "x"}])
def test_invalid_response_is_refused_with_rasas_message(action, result):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(result)


def test_schema_is_checked_once_not_per_response(action, monkeypatch):
    performance._action_response_validator()
    validator_class = type(performance._action_response_validator())
    calls = []
    monkeypatch.setattr(validator_class, "check_schema", classmethod(lambda cls, schema: calls.append(schema)))
    for _ in range(5):
        action._validate_action_result(VALID)
    assert calls == []
