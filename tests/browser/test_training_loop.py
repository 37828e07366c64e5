"""The trainers' retraining loop in headless Chromium, on the real stack (Procfile processes,
Rasa's HTTP API on with a token, as make run starts it):

an agent's farewell is misread by the model in service → a trainer annotates the intent it
meant → trains a candidate from the console (a real ``rasa train``) → the comparison page shows
the evaluation sets, the test stories and the annotated sentence before/after → promotion →
the same sentence sent to the running Rasa server, never restarted, now gets the farewell →
a second training, killed while it runs, fails and leaves the model in service untouched →
the earlier model is restored.

Measures the candidate's training and comparison times (printed with ``-s``).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import threading
import time

import pytest
from playwright.sync_api import expect

from bot.evaluation import post_message
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import SCREENSHOTS
from tests.stack import Stack

pytestmark = pytest.mark.live

SECRET = "secret-de-la-console-pour-l-entrainement-" + "t" * 16
PASSWORD = "formation-modeles-2026"
RASA_TOKEN = "jeton-api-rasa-pour-les-tests-" + "r" * 16
# Read as « cancel » by the model in service (its second guess is goodbye).
FAREWELL = "allez je vous laisse, le bus arrive"
GOODBYE = "Au revoir, et bonne continuation dans votre coopération !"
TRAINING_TIMEOUT_MS = 15 * 60 * 1000


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def replies(stack, sender: str, text: str) -> str:
    return "\n".join(reply.get("text", "") for reply in post_message(stack.rasa_url, sender, text))


@pytest.fixture(scope="module")
def training_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("training")
    stack = Stack(
        folder,
        REVIEW_SECRET=SECRET,
        RASA_API_TOKEN=RASA_TOKEN,
        TRAINING_DIR=str(folder / "training"),
    ).start()
    stack.model_path = folder / "models" / "assistant.tar.gz"
    stack.review_cli("create-trainer", "formatrice", "--password-stdin", stdin=PASSWORD + "\n")
    yield stack
    stack.stop()


def log_in(page, stack) -> None:
    page.goto(f"{stack.web_url}/review/modeles")
    page.get_by_label("Identifiant").fill("formatrice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Modèles", exact=True)).to_be_visible()


class Chatter:
    """An agent who keeps talking to the Rasa server: every reply must come, none refused."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.delays: list = []
        self.errors: list = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.talk, daemon=True)

    def talk(self) -> None:
        number = 0
        while not self.done.is_set():
            number += 1
            started = time.monotonic()
            try:
                answer = replies(self.stack, f"agent-pendant-{number}", "bonjour")
            except OSError as error:
                self.errors.append(repr(error))
                continue
            self.delays.append(time.monotonic() - started)
            if "coopération" not in answer:
                self.errors.append(answer)
            time.sleep(0.2)

    def answered(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.delays) + len(self.errors) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def __enter__(self) -> Chatter:
        self.thread.start()
        self.answered(1)  # talking before the promotion starts…
        return self

    def __exit__(self, *_exc) -> None:
        self.answered(len(self.delays) + len(self.errors) + 1)  # …and still answered after it
        self.done.set()
        self.thread.join(timeout=60)


def job_row(stack, job_id: int):
    with sqlite3.connect(stack.tracker_path) as connection:
        return connection.execute(
            "select state, pid, training_seconds, comparison_seconds from review_training_jobs where id = ?", (job_id,)
        ).fetchone()


def test_trainer_retrains_compares_promotes_and_a_failed_training_changes_nothing(page, training_stack):
    stack = training_stack
    rasa = stack.processes["rasa"]
    # The stack's own copy of the model (another session may retrain models/ meanwhile).
    original = digest(stack.model_path)
    before = replies(stack, "agent-bus", FAREWELL)
    assert GOODBYE not in before, f"the model in service must misread the farewell: {before}"
    stack.review_cli("sync")

    # Annotate the intent the agent meant on the transcript page.
    log_in(page, stack)
    assert_accessible(page, "la page des modèles, avant tout entraînement")
    page.goto(f"{stack.web_url}/review")
    page.locator("table.list tbody a").first.click()
    turn = page.locator("li.turn.user", has_text=FAREWELL)
    expect(turn.locator(".intent")).not_to_have_text("goodbye")
    turn.get_by_text("Annoter ce tour").click()
    turn.get_by_label("État").select_option(label="anomalie")
    turn.get_by_label("Motif").select_option(label="question mal comprise")
    turn.get_by_label("Intention correcte").select_option("goodbye")
    turn.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("li.turn.user.annotated", has_text=FAREWELL)).to_contain_text("intention correcte : goodbye")

    # Train a candidate: the page follows it, then shows the comparison.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Modèles").click()
    expect(page.locator("#entrainer + p")).to_contain_text("1 correction")
    page.get_by_role("button", name="Entraîner un modèle candidat").click()
    expect(page.get_by_role("heading", name="Candidat n° 1")).to_be_visible()
    expect(page.locator("#job-progress")).to_contain_text(re.compile("Entraînement|Comparaison"))
    assert_accessible(page, "un entraînement en cours")
    started = time.monotonic()
    expect(page.get_by_role("heading", name="Comparaison avec le modèle en service")).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    state, _pid, training_seconds, comparison_seconds = job_row(stack, 1)
    print(f"\ncandidate n° 1: training {training_seconds:.1f} s, comparison {comparison_seconds:.1f} s")
    print(f"page waited {time.monotonic() - started:.1f} s")
    assert state == "evaluated"
    development = page.locator("section", has=page.get_by_role("heading", name="Jeu d'évaluation « development »"))
    expect(development.locator("tfoot tr.total")).to_contain_text(re.compile(r"\d+/143[\s\S]*\d+/143"))
    heldout = page.locator("section", has=page.get_by_role("heading", name="Jeu d'évaluation « heldout »"))
    expect(heldout.locator("tfoot tr.total")).to_contain_text(re.compile(r"\d+/304[\s\S]*\d+/304"))
    stories = page.locator("section", has=page.get_by_role("heading", name=re.compile("Histoires de test")))
    expect(stories).to_contain_text(re.compile(r"\d+/66"))
    sentence = page.locator("table.sentences tbody tr", has_text=FAREWELL)
    expect(sentence.locator("td").nth(2)).to_contain_text("fausse")
    expect(sentence.locator("td").nth(3)).to_contain_text("goodbye")
    expect(sentence.locator("td").nth(3)).to_contain_text("juste")
    assert_accessible(page, "la comparaison d'un candidat")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review-models-comparison.png"), full_page=True)
    # The comparison's conversations stayed in the temporary server's memory.
    with sqlite3.connect(stack.tracker_path) as connection:
        senders = {sender for (sender,) in connection.execute("select distinct sender_id from events")}
    assert senders == {"agent-bus"}, senders

    # Promote: the running Rasa server loads it, no restart, and answers all along.
    with Chatter(stack) as chatter:
        page.get_by_role("button", name="Promouvoir ce candidat").click()
        expect(page.get_by_role("status")).to_contain_text("Candidat promu")
    # Rasa loads the new model on its event loop: a message sent meanwhile waits, none is refused.
    print(f"during the promotion: {len(chatter.delays)} messages, slowest reply {max(chatter.delays):.1f} s")
    assert chatter.errors == [] and len(chatter.delays) >= 2
    promoted = digest(stack.model_path)
    assert promoted != original
    assert GOODBYE in replies(stack, "agent-bus-2", FAREWELL)
    assert rasa.poll() is None and stack.processes["rasa"] is rasa

    # A training killed while it runs fails and changes nothing in service.
    page.get_by_role("link", name="← Retour aux modèles").click()
    expect(page.locator("table.history")).to_contain_text(original[:12])
    assert_accessible(page, "la page des modèles, un candidat promu")
    page.get_by_role("button", name="Entraîner un modèle candidat").click()
    expect(page.get_by_role("heading", name="Candidat n° 2")).to_be_visible()
    deadline = time.monotonic() + 60
    while not (job_row(stack, 2)[1]) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.kill(job_row(stack, 2)[1], signal.SIGKILL)
    expect(page.locator(".job-state")).to_have_text("échouée", timeout=30_000)
    expect(page.locator(".failure")).to_contain_text("signal 9")
    expect(page.locator(".failure")).to_contain_text("Le modèle en service n'a pas changé")
    assert_accessible(page, "un entraînement échoué")
    assert digest(stack.model_path) == promoted
    assert GOODBYE in replies(stack, "agent-bus-3", FAREWELL)

    # The earlier model can be put back.
    page.get_by_role("link", name="← Retour aux modèles").click()
    page.get_by_role("button", name=f"Remettre en service le modèle {original[:12]}").click()
    expect(page.get_by_role("status")).to_contain_text("Modèle précédent remis en service")
    assert digest(stack.model_path) == original
    assert GOODBYE not in replies(stack, "agent-bus-4", FAREWELL)
    assert rasa.poll() is None
