"""The models pages over HTTP (aiohttp test client): start a training, follow it, read the
comparison, promote, restore; refusals without CSRF token and of a second training."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time

import pytest

from bot.review import accounts, training_pages
from bot.review import training_jobs as jobs
from bot.review.training import Trainer
from bot.review.training_models import list_history
from tests.review.test_training import (  # noqa: F401 (fixture)
    annotated,
    fake_rasa,  # noqa: F401 (fixture)
    settings,
)
from tests.review.test_web import PASSWORD, csrf_of, log_in, run

SENTENCE = "Qui doit piloter notre projet ?"
COMPARISON = {
    "in_service_digest": "0" * 64,
    "sets": {
        "development": {
            "in_service": {
                "passed": 134,
                "total": 143,
                "top1_right": 83,
                "top1_total": 96,
                "categories": {"situation": {"passed": 38, "total": 40, "top1_right": 32, "top1_total": 40}},
            },
            "candidate": {
                "passed": 136,
                "total": 143,
                "top1_right": 84,
                "top1_total": 96,
                "categories": {"situation": {"passed": 39, "total": 40, "top1_right": 33, "top1_total": 40}},
            },
        }
    },
    "stories": {
        "in_service": {"passed": 66, "total": 66, "failed": []},
        "candidate": {"passed": 65, "total": 66, "failed": ["salutation simple"]},
    },
    "sentences": [
        {
            "text": SENTENCE,
            "intent": "ask_mission",
            "recorded_intent": "nlu_fallback",
            "before": {"intent": "nlu_fallback", "confidence": 0.21},
            "after": {"intent": "ask_mission", "confidence": 0.87},
        }
    ],
}


@pytest.fixture
def console(recorded, config, settings, monkeypatch):  # noqa: F811
    with recorded.session() as session:
        accounts.create_trainer(session, "alice", PASSWORD)
    annotated(recorded, SENTENCE, "ask_mission")
    trainer = Trainer(settings, recorded, compare=lambda *_args: COMPARISON)
    monkeypatch.setattr(training_pages, "make_trainer", lambda _console: trainer)
    return config, recorded, trainer


async def wait_for_state(client, job_id: int, states, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = await (await client.get(f"/review/modeles/{job_id}/etat")).json()
        if state["state"] in states:
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}: {state}")


def test_trainer_trains_compares_promotes_and_restores_from_the_pages(console, fake_rasa):  # noqa: F811
    config, store, trainer = console

    async def scenario(client):
        await log_in(client)
        page = await client.get("/review/modeles")
        body = await page.text()
        assert page.status == 200
        assert "<strong>1</strong> correction (intention corrigée)" in body and SENTENCE in body
        assert "Entraîner un modèle candidat" in body and "Aucun modèle précédent" in body
        token = await csrf_of(client, "/review/modeles")

        assert (await client.post("/review/modeles/entrainer", data={}, allow_redirects=False)).status == 403
        started = await client.post("/review/modeles/entrainer", data={"csrf_token": token}, allow_redirects=False)
        assert started.status == 303 and started.headers["Location"] == "/review/modeles/1"
        following = await client.get("/review/modeles/1")
        text = await following.text()
        assert 'id="job-progress"' in text and "/review/static/review.js" in text
        state = await (await client.get("/review/modeles/1/etat")).json()
        assert state["state"] in (jobs.TRAINING, jobs.COMPARING, jobs.EVALUATED)

        await wait_for_state(client, 1, (jobs.EVALUATED,))
        text = await (await client.get("/review/modeles/1")).text()
        assert "134/143 (93,7 %)" in text and "136/143 (95,1 %)" in text and "+2" in text
        assert "65/66 (98,5 %)" in text and "salutation simple" in text
        assert "1 fausse avant et juste maintenant" in text
        assert "Promouvoir ce candidat" in text and 'id="job-progress"' not in text

        promoted = await client.post("/review/modeles/1/promouvoir", data={"csrf_token": token}, allow_redirects=False)
        assert promoted.status == 303 and "message=" in promoted.headers["Location"]
        assert fake_rasa.loads and fake_rasa.loads[0][2] == str(trainer.settings.model_path)
        text = await (await client.get(promoted.headers["Location"])).text()
        assert "Candidat promu" in text and "promue par alice" in text

        models = await (await client.get("/review/modeles")).text()
        (kept,) = list_history(trainer.settings)
        assert f'value="{kept.name}"' in models and "promotion du" in models
        restored = await client.post(
            "/review/modeles/restaurer", data={"csrf_token": token, "model": kept.name}, allow_redirects=False
        )
        assert restored.status == 303 and "message=" in restored.headers["Location"]
        assert trainer.settings.model_path.read_bytes() == b"model in service\n"
        refused = await client.post(
            "/review/modeles/restaurer", data={"csrf_token": token, "model": "../../etc/passwd"}, allow_redirects=False
        )
        assert "erreur=" in refused.headers["Location"]

    run(scenario, config, store)


def test_a_second_training_is_refused_with_a_french_message(console, monkeypatch):
    config, store, trainer = console
    monkeypatch.setenv("FAKE_RASA_SECONDS", "3")

    async def scenario(client):
        await log_in(client)
        token = await csrf_of(client, "/review/modeles")
        await client.post("/review/modeles/entrainer", data={"csrf_token": token}, allow_redirects=False)
        models = await (await client.get("/review/modeles")).text()
        assert "Un entraînement est en cours" in models and 'action="/review/modeles/entrainer"' not in models
        second = await client.post("/review/modeles/entrainer", data={"csrf_token": token})
        text = await second.text()
        assert re.search(r'role="alert">Un entraînement est déjà en cours[^<]*un seul à la fois', text)
        await wait_for_state(client, 1, (jobs.EVALUATED,))

    run(scenario, config, store)


def test_anonymous_visitors_cannot_see_or_start_trainings(console):
    config, store, _trainer = console

    async def scenario(client):
        for path in ("/review/modeles", "/review/modeles/1", "/review/modeles/1/etat"):
            assert (await client.get(path, allow_redirects=False)).status == 303
        for path in ("/review/modeles/entrainer", "/review/modeles/1/promouvoir", "/review/modeles/restaurer"):
            assert (await client.post(path, data={}, allow_redirects=False)).status == 403
        with store.session() as session:
            assert jobs.list_jobs(session) == []

    run(scenario, config, store)


def test_a_training_left_running_by_a_stopped_web_server_shows_as_interrupted(console):
    config, store, _trainer = console
    with store.session() as session:
        stale = jobs.create_job(session, "alice", 1)

    async def scenario(client):
        # Building the console (web server start) marked it failed; its page says why.
        with store.session() as session:
            assert jobs.get_job(session, stale.id).state == jobs.FAILED
        await log_in(client)
        text = await (await client.get(f"/review/modeles/{stale.id}")).text()
        assert "échouée" in text and "Entraînement interrompu" in text and 'id="job-progress"' not in text
        models = await (await client.get("/review/modeles")).text()
        assert "Entraîner un modèle candidat</button>" in models

    run(scenario, config, store)


def test_without_rasa_api_token_the_models_page_says_promotion_is_off(console, settings, monkeypatch):  # noqa: F811
    config, store, trainer = console
    monkeypatch.setattr(trainer, "settings", dataclasses.replace(settings, api_token=""))

    async def scenario(client):
        await log_in(client)
        response = await client.get("/review/modeles")
        assert response.status == 200
        assert "RASA_API_TOKEN" in await response.text()

    run(scenario, config, store)
