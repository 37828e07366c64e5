"""Responses are filled like Rasa does, but a button payload's entity JSON is not taken for a
template variable (Rasa 3.6 logged an ERROR with a traceback at every greeting for that)."""

from __future__ import annotations

import asyncio
import re

import pytest
from rasa.core.nlg import interpolator
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from channels.nlg import ButtonSafeNaturalLanguageGenerator, fill_payload
from tests.conftest import REPO_ROOT

BUTTONS_RESPONSE = {
    "text": "Bonjour {name}",
    "buttons": [
        {"title": "Chef de file", "payload": '/ask_mission{"mission": "identify_lead_partner"}'},
        {"title": "Phase {phase}", "payload": '/ask_phase{"phase": "{phase}"}'},
        {"title": "Autre", "payload": "/ask_phases"},
    ],
}


@pytest.fixture
def interpolation_errors(monkeypatch):
    """Every error Rasa's interpolator reports (it logs them through structlog)."""
    errors = []
    monkeypatch.setattr(interpolator.structlogger, "exception", lambda *args, **kwargs: errors.append((args, kwargs)))
    return errors


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(REPO_ROOT / "domain.yml"))


def generate(generator, response_name, **kwargs):
    # With the domain's slots, as in a conversation: Rasa fills nothing when there are no values.
    tracker = DialogueStateTracker("essai", Domain.load(str(REPO_ROOT / "domain.yml")).slots)
    return asyncio.run(generator.generate(response_name, tracker, "rest", **kwargs))


def test_rasa_own_generator_reports_an_error_for_the_greeting_payloads(domain, interpolation_errors):
    # The cause this module fixes: if Rasa stops doing this, the module can go.
    generate(TemplatedNaturalLanguageGenerator(domain.responses), "utter_greet")
    assert interpolation_errors


def test_greeting_keeps_its_payloads_without_any_interpolation_error(domain, interpolation_errors):
    greeting = generate(ButtonSafeNaturalLanguageGenerator(domain=domain), "utter_greet")
    expected = domain.responses["utter_greet"][0]["buttons"]
    assert greeting["buttons"] == expected
    assert '/ask_mission{"mission": "manage_conflicts"}' in [button["payload"] for button in greeting["buttons"]]
    assert greeting["text"].startswith("Bonjour")
    assert interpolation_errors == []


def test_every_domain_response_with_buttons_keeps_its_payloads_without_error(domain, interpolation_errors):
    generator = ButtonSafeNaturalLanguageGenerator(domain=domain)
    with_buttons = {
        name: variants[0]
        for name, variants in domain.responses.items()
        if len(variants) == 1 and variants[0].get("buttons")
    }
    assert len(with_buttons) > 3
    for name, variant in with_buttons.items():
        # Values for the response's own placeholders, as the actions pass them.
        values = {key: "x" for key in re.findall(r"{(\w+)}", variant.get("text", ""))}
        response = generate(generator, name, **values)
        assert [b["payload"] for b in response["buttons"]] == [b["payload"] for b in variant["buttons"]], name
    assert interpolation_errors == []


def test_text_titles_and_slot_placeholders_in_payloads_are_still_filled(interpolation_errors):
    generator = ButtonSafeNaturalLanguageGenerator(
        domain=Domain.from_dict({"responses": {"utter_x": [BUTTONS_RESPONSE]}})
    )
    response = generate(generator, "utter_x", name="Claire", phase="emergence")
    assert response["text"] == "Bonjour Claire"
    assert response["buttons"] == [
        {"title": "Chef de file", "payload": '/ask_mission{"mission": "identify_lead_partner"}'},
        {"title": "Phase emergence", "payload": '/ask_phase{"phase": "emergence"}'},
        {"title": "Autre", "payload": "/ask_phases"},
    ]
    assert interpolation_errors == []


def test_unknown_placeholder_in_a_payload_is_kept_with_a_warning(caplog):
    assert fill_payload("/choose{choice}", {"other": 1}) == "/choose{choice}"
    assert "variable {choice} inconnue" in caplog.text


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "cluster/endpoints.yml"])
def test_both_deployments_use_this_generator(endpoints, domain, monkeypatch):
    for variable in ("ACTION_SERVER_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_DB", "LOCK_KEY_PREFIX"):
        monkeypatch.setenv(variable, "1")
    config = read_endpoint_config(str(REPO_ROOT / endpoints), "nlg")
    assert isinstance(NaturalLanguageGenerator.create(config, domain), ButtonSafeNaturalLanguageGenerator)
