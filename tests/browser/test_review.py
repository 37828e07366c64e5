"""The trainers' review console in headless Chromium, on conversations held with the real
assistant: log in, filter the low-confidence conversation, annotate a turn, export the
correction as NLU data and the conversation as a test story; refusals for an anonymous
visitor, a wrong password and a form posted without its CSRF token."""

from __future__ import annotations

import re
import sqlite3
import subprocess

import pytest
import yaml
from playwright.sync_api import expect

from bot.evaluation import post_message
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import REPO_ROOT
from tests.stack import Stack

SECRET = "secret-de-la-console-pour-les-tests-" + "z" * 16
PASSWORD = "formation-coop-2026"
UNCLEAR = "Qui doit piloter notre projet ?"


@pytest.fixture(scope="module")
def review_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    stack = Stack(folder, TRACKER_DATABASE_URL=f"sqlite:///{folder / 'tracker.sqlite3'}", REVIEW_SECRET=SECRET)
    stack.start()
    # Two officers: one question the assistant does not understand, and a clear exchange.
    for text in ("Bonjour", UNCLEAR):
        post_message(stack.rasa_url, "agent-unclear", text)
    for text in ("Bonjour", "Comment identifier un chef de file ?", "pourquoi ?"):
        post_message(stack.rasa_url, "agent-clear", text)
    # The web server indexes every 30 s in the background; index now, as an administrator would.
    stack.review_cli("sync")
    stack.review_cli("create-trainer", "formatrice", "--password-stdin", stdin=PASSWORD + "\n")
    yield stack
    stack.stop()


def pseudonyms(stack):
    """pseudonym → (messages, min confidence) from the command-line list."""
    rows = [line.split("\t") for line in stack.review_cli("list").splitlines()]
    return {row[0]: (row[1].strip(), float(row[2])) for row in rows}


def log_in(page, stack, password=PASSWORD):
    page.goto(f"{stack.web_url}/review")
    expect(page).to_have_url(re.compile(r"/review/login\?next="))
    page.get_by_label("Identifiant").fill("formatrice")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_anonymous_visitor_and_wrong_password_are_refused(page, review_stack):
    page.goto(f"{review_stack.web_url}/review/dashboard")
    expect(page.get_by_role("heading", name="Connexion des formateurs")).to_be_visible()
    log_in(page, review_stack, password="pas-le-bon-mot-de-passe")
    expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
    page.goto(f"{review_stack.web_url}/review")
    expect(page.get_by_role("heading", name="Connexion des formateurs")).to_be_visible()


def test_trainer_reviews_a_low_confidence_conversation(page, review_stack):
    known = pseudonyms(review_stack)
    low = [name for name, (_messages, confidence) in known.items() if confidence < 0.5]
    assert len(known) == 2 and len(low) == 1, f"the scripted conversations must differ in confidence: {known}"

    log_in(page, review_stack)
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("2 conversations")
    page.get_by_label("Confiance inférieure à").fill("0,5")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("status")).to_contain_text("1 conversation")
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name=low[0])).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review-list.png"), full_page=True)

    page.get_by_role("link", name=low[0]).click()
    turn = page.locator("li.turn.user", has_text=UNCLEAR)
    # The NLU is unsure of this question (below 0.5, hence the filter): whatever it read, the
    # intent it recorded is shown, and the advisor's answer cites missions of the map.
    expect(turn.locator(".intent")).not_to_have_text("ask_mission")
    expect(turn.locator(".intent")).to_have_text(recorded_intent(review_stack, UNCLEAR))
    expect(page.locator("li.turn.bot", has_text="Missions citées").first).to_be_visible()
    turn.get_by_text("Annoter ce tour").click()
    turn.get_by_label("État").select_option(label="anomalie")
    turn.get_by_label("Motif").select_option(label="question mal comprise")
    turn.get_by_label("Intention correcte").select_option("ask_mission")
    turn.get_by_label("Commentaire").fill("Piloter = chef de file : à ajouter aux exemples.")
    turn.get_by_role("button", name="Enregistrer").click()
    annotated = page.locator("li.turn.user.annotated", has_text=UNCLEAR)
    expect(annotated.locator(".annotation")).to_contain_text("anomalie — question mal comprise")
    expect(annotated.locator(".annotation")).to_contain_text("intention correcte : ask_mission")
    page.screenshot(path=str(SCREENSHOTS / "review-transcript.png"), full_page=True)

    with page.expect_download() as story_download:
        page.get_by_role("link", name="Exporter comme test de non-régression (story Rasa)").click()
    story = yaml.safe_load(open(story_download.value.path(), encoding="utf-8"))
    steps = story["stories"][0]["steps"]
    corrected = steps.index({"user": f"{UNCLEAR}\n", "intent": "ask_mission"})
    assert steps[corrected + 1]["action"].startswith("action_") and steps[0] == {"user": "Bonjour\n", "intent": "greet"}

    with page.expect_download() as nlu_download:
        page.get_by_role("link", name="Exporter les corrections (NLU)").click()
    nlu = yaml.safe_load(open(nlu_download.value.path(), encoding="utf-8"))
    assert nlu == {"version": "3.1", "nlu": [{"intent": "ask_mission", "examples": f"- {UNCLEAR}\n"}]}

    page.goto(f"{review_stack.web_url}/review?annotation=anomaly")
    expect(page.get_by_role("status")).to_contain_text("1 conversation")


def test_form_posted_without_csrf_token_is_refused(page, review_stack):
    log_in(page, review_stack)
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    target = next(iter(pseudonyms(review_stack)))
    response = page.request.post(
        f"{review_stack.web_url}/review/c/{target}/annotations",
        form={"turn": "1", "state": "anomaly", "reason": "other"},
        max_redirects=0,
    )
    assert response.status == 403 and "jeton de sécurité" in response.text()
    logout = page.request.post(f"{review_stack.web_url}/review/logout", max_redirects=0)
    assert logout.status == 403


def test_dashboard_draws_its_charts_from_our_origin(page, review_stack):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, review_stack)
    page.goto(f"{review_stack.web_url}/review/dashboard")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    expect(page.locator(".figures")).to_contain_text("2 conversations")
    expect(page.locator(".figures")).to_contain_text("5 messages d'utilisateurs")
    assert page.evaluate("() => typeof window.Chart") == "function"
    assert page.evaluate("() => window.Chart.getChart(document.getElementById('chart-intents')).data.labels.length") > 0
    expect(page.locator("table", has_text="Intentions les plus fréquentes")).to_contain_text("greet")
    assert not errors, errors
    page.screenshot(path=str(SCREENSHOTS / "review-dashboard.png"), full_page=True)


def recorded_intent(stack, text: str) -> str:
    """The intent the NLU recorded for a user message, read from the stack's own log."""
    with sqlite3.connect(stack.tracker_path) as connection:
        (intent,) = connection.execute(
            "select json_extract(data, '$.parse_data.intent.name') from events"
            " where type_name = 'user' and json_extract(data, '$.text') = ?",
            (text,),
        ).fetchone()
    return intent


def test_exported_story_of_a_conversation_passes_rasa_test(review_stack, tmp_path):
    clear = next(name for name, (_m, confidence) in pseudonyms(review_stack).items() if confidence >= 0.5)
    story = tmp_path / "test_revue.yml"
    review_stack.review_cli("export-story", clear, "-o", str(story))
    result = subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "rasa"),
            "test",
            "core",
            "--stories",
            str(story),
            "--model",
            str(REPO_ROOT / "models" / "assistant.tar.gz"),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path / "results"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=review_stack.env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "action_explain_why" in story.read_text(encoding="utf-8")
