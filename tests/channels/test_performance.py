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


def test_event_lookup_gives_rasa_s_classes_and_errors():
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    performance.install()
    for event_class in all_subclasses(Event):
        assert Event.resolve_by_type(event_class.type_name) is performance._rasa_resolve_by_type(event_class.type_name)
    assert Event.resolve_by_type("user") is UserUttered and Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("pas_un_evenement", ActionExecuted) is ActionExecuted
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("pas_un_evenement")


def test_reading_a_conversation_no_longer_walks_the_event_classes(monkeypatch):
    import rasa.shared.utils.common as common
    from rasa.shared.core.events import Event, UserUttered

    performance.install()
    Event.resolve_by_type("user")
    calls = []
    original = common.all_subclasses
    monkeypatch.setattr(common, "all_subclasses", lambda cls: calls.append(cls) or original(cls))
    events = [UserUttered(f"message {index}").as_dict() for index in range(200)]
    assert len([Event.from_parameters(event) for event in events]) == 200
    assert calls == []
