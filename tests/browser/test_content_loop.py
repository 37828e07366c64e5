"""The trainers' content loop in headless Chromium, on the real stack: a question the assistant
answers badly → the knowledge-gap report lists it → a trainer edits the mission (a bad edit is
refused with its French message), previews the answer, sees the diff and publishes → the same
question asked in the chat gets the new content, no restart → the history shows the change and
the earlier version comes back in one click. Every console page visited passes axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bot.evaluation import post_message
from tests.browser.accessibility import assert_accessible, assert_reflows
from tests.conftest import REPO_ROOT
from tests.stack import Stack

SECRET = "secret-de-la-console-pour-le-contenu-" + "c" * 16
TRAINER = "formatrice"
PASSWORD = "formation-contenu-2026"
# Read as a situation by the NLU, but no mission matches its words today: « Je ne trouve pas de
# mission de la carte qui corresponde à votre situation » (an unanswered question for the report).
QUESTION = "les communes se chicanent pour la balayeuse mutualisée"
MISSION_ID = "manage_conflicts"
OLD_TITLE = "Anticiper ou gérer les conflits"
NEW_TITLE = "Apaiser les tensions entre partenaires"
COMMENT = "Les jalousies autour du matériel partagé sont des conflits entre partenaires."


@pytest.fixture(scope="module")
def loop_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("content-loop")
    stack = Stack(folder, REVIEW_SECRET=SECRET).start()
    stack.first_replies = post_message(stack.rasa_url, "agent-balayeuse", QUESTION)
    stack.review_cli("sync")
    stack.review_cli("create-trainer", TRAINER, "--password-stdin", stdin=PASSWORD + "\n")
    yield stack
    stack.stop()


def reply_text(replies) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def log_in(page, stack, target):
    page.goto(f"{stack.web_url}{target}")
    page.get_by_label("Identifiant").fill(TRAINER)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_trainer_fixes_a_badly_answered_question_and_can_return_to_the_earlier_version(page, loop_stack):
    stack = loop_stack
    before = reply_text(stack.first_replies)
    assert before and OLD_TITLE not in before and QUESTION not in before, before

    # The gap report lists the question.
    log_in(page, stack, "/review/lacunes")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(QUESTION)
    assert_accessible(page, "rapport de lacunes")

    # The content list, then the mission's edit form.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Contenu").click()
    expect(page.get_by_role("heading", name="Contenu de l'assistant")).to_be_visible()
    assert_accessible(page, "liste du contenu")
    page.get_by_role("link", name=OLD_TITLE).click()
    expect(page.get_by_role("heading", name=f"Modifier la mission « {OLD_TITLE} »")).to_be_visible()
    assert_accessible(page, "formulaire d'une mission")

    # A bad edit is refused with the loader's French message on the field, input kept.
    steps = page.get_by_label("Étapes (comment faire)")
    original_steps = steps.input_value()
    steps.fill("Réunir les partenaires.")
    page.get_by_label("Commentaire (pourquoi cette modification ?)").fill(COMMENT)
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_role("alert")).to_contain_text("Modification refusée")
    expect(page.locator("#erreur-how")).to_have_text("« Étapes (comment faire) » doit compter de 3 à 6 étapes.")
    expect(steps).to_have_attribute("aria-invalid", "true")
    expect(steps).to_have_value("Réunir les partenaires.")
    assert_accessible(page, "formulaire refusé")

    # The fix: the steps back, a new title and the officer's words as a situation; preview.
    steps.fill(original_steps)
    page.get_by_label("Titre affiché").fill(NEW_TITLE)
    situations = page.get_by_label("Situations (dans les mots d'un agent)")
    situations.fill(situations.input_value() + "\n" + QUESTION)
    page.get_by_label("Question d'un agent").fill(QUESTION)
    page.get_by_label("Le message est compris comme").select_option("situation")
    # The first preview of a web server may wait for spaCy if the machine is busy (loaded in the
    # background since the form was opened).
    page.get_by_role("button", name="Prévisualiser la réponse").click(timeout=90_000)
    preview = page.locator("section", has=page.get_by_role("heading", name="Aperçu : ce que l'assistant répondrait"))
    draft = preview.locator(".compare > div", has=page.get_by_role("heading", name="Avec vos modifications"))
    expect(draft).to_contain_text(f"Mission proposée en premier : {NEW_TITLE} ({MISSION_ID})")
    expect(draft).to_contain_text(f"« {QUESTION} »")
    today = preview.locator(".compare > div", has=page.get_by_role("heading", name="Aujourd'hui (version publiée)"))
    expect(today).not_to_contain_text(NEW_TITLE)
    assert_accessible(page, "aperçu de la réponse")
    page.set_viewport_size({"width": 320, "height": 800})
    assert_reflows(page, "aperçu de la réponse, sur 320 px")
    page.set_viewport_size({"width": 1200, "height": 800})

    # The diff, then publish.
    page.get_by_role("button", name="Voir les différences").click()
    diff = page.locator("table.diff")
    expect(diff.locator("tr.add")).to_contain_text([f"title: {NEW_TITLE}", f"- {QUESTION}"])
    expect(diff.locator("tr.remove")).to_contain_text([f"title: {OLD_TITLE}"])
    expect(diff.locator("tr.add td").first).to_contain_text("+")
    assert_accessible(page, "différences")
    page.set_viewport_size({"width": 320, "height": 800})
    assert_reflows(page, "formulaire avec ses différences, sur 320 px")
    page.set_viewport_size({"width": 1200, "height": 800})
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_role("status")).to_contain_text("Modification publiée")
    expect(page.get_by_role("heading", name=f"Modifier la mission « {NEW_TITLE} »")).to_be_visible()

    # The same question in the chat: the new content, with no restart.
    chat = page.context.new_page()
    chat.goto(stack.web_url)
    chat.locator(".coop-input").fill(QUESTION)
    chat.locator(".coop-input").press("Enter")
    expect(chat.locator(".coop-log")).to_contain_text(NEW_TITLE)
    expect(chat.locator(".coop-log")).to_contain_text(f"« {QUESTION} »")
    chat.close()

    # The history shows who changed what and why; one click returns to the earlier version.
    page.goto(f"{stack.web_url}/review/contenu/historique")
    expect(page.locator("table.list")).to_contain_text(COMMENT)
    expect(page.locator("table.list")).to_contain_text(TRAINER)
    assert_accessible(page, "historique du contenu")
    page.get_by_role("link", name=f"Mission « {NEW_TITLE} »").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Historique")
    assert_accessible(page, "historique d'une mission")
    page.get_by_role("button", name=re.compile("Revenir à cette version")).click()
    expect(page.get_by_role("status")).to_contain_text("Version antérieure rétablie")
    expect(page.locator("ol.versions li").first).to_contain_text("Retour à la version du")
    assert_accessible(page, "version rétablie")

    after = reply_text(post_message(stack.rasa_url, "agent-apres-retour", QUESTION))
    assert NEW_TITLE not in after and QUESTION not in after, after
    content = (stack.log_dir / "knowledge" / "missions" / "transversales.yml").read_text(encoding="utf-8")
    assert (REPO_ROOT / "knowledge" / "missions" / "transversales.yml").read_text(encoding="utf-8") == content
