"""Every page a user or a trainer sees passes axe-core's WCAG 2.1 A/AA rules in real Chromium:
the chat page (before and after an answer), the widget embedded in another site, the console's
login page (with its error), and, signed in, the conversation list, a transcript with its
annotation form open and an annotated turn, the dashboard, the "not found" page and every page
of the console's menu (gap report, content, models: whatever it links to). Checks axe
cannot make: the console's skip link, a keyboard focus ring that stands out (3:1) on the white
of the forms (WCAG 1.4.11), and pages that fit a 320-pixel-wide screen (WCAG 1.4.10).

One stack for the whole module (a start costs ~30 s), with the console enabled."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bot.evaluation import post_message
from tests.browser.accessibility import assert_accessible, assert_reflows
from tests.stack import Stack

SECRET = "secret-de-la-console-pour-l-accessibilite-" + "a" * 16
TRAINER = "formatrice"
PASSWORD = "formation-accessible-2026"
UNCLEAR = "Qui doit piloter notre projet ?"
GREETING = "Je suis l'assistant des chargé(e)s de coopération"


@pytest.fixture(scope="module")
def console_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("accessibility")
    # Rasa's API on, with a token, as make run does: the models page asks Rasa which model it serves.
    stack = Stack(folder, REVIEW_SECRET=SECRET, RASA_API_TOKEN="jeton-api-rasa-" + "b" * 24).start()
    for text in ("Bonjour", UNCLEAR):
        post_message(stack.rasa_url, "agent-unclear", text)
    for text in ("Bonjour", "Comment identifier un chef de file ?", "pourquoi ?"):
        post_message(stack.rasa_url, "agent-clear", text)
    stack.review_cli("sync")
    stack.review_cli("create-trainer", TRAINER, "--password-stdin", stdin=PASSWORD + "\n")
    yield stack
    stack.stop()


def relative_luminance(rgb) -> float:
    channels = [value / 255 for value in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first, second) -> float:
    darker, lighter = sorted((relative_luminance(first), relative_luminance(second)))
    return (lighter + 0.05) / (darker + 0.05)


def focus_ring_contrast(page, background=(255, 255, 255)) -> float:
    """The best contrast, against ``background``, of the colours drawn around the focused
    element (its outline and its box-shadow rings)."""
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle === 'none' ? s.boxShadow : s.outlineColor + ' ' + s.boxShadow }"
    )
    colours = [tuple(map(int, found)) for found in re.findall(r"rgba?\((\d+), (\d+), (\d+)", style)]
    assert colours, f"aucun indicateur de focus visible : {style}"
    return max(contrast(colour, background) for colour in colours)


def log_in(page, stack, password=PASSWORD):
    page.goto(f"{stack.web_url}/review/login")
    page.get_by_label("Identifiant").fill(TRAINER)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_chat_page_before_and_after_an_answer(page, console_stack):
    page.goto(console_stack.web_url)
    expect(page.locator(".coop-bot").first).to_contain_text(GREETING)
    expect(page.locator(".coop-quick-reply").first).to_be_visible()
    assert_accessible(page, "la page de l'assistant, accueil")

    page.locator(".coop-input").fill("Comment identifier un chef de file ?")
    page.locator(".coop-input").press("Enter")
    expect(page.locator(".coop-log")).to_contain_text("Comment faire :")
    expect(page.locator(".coop-typing")).to_be_hidden()
    assert_accessible(page, "la page de l'assistant, après une réponse")

    page.locator(".coop-input").focus()
    page.keyboard.press("Tab")
    expect(page.locator(".coop-send")).to_be_focused()
    assert focus_ring_contrast(page) >= 3


def test_widget_open_in_another_site(page, console_stack):
    page.goto(console_stack.demo_url)
    assert_accessible(page, "l'intranet de démonstration, widget fermé")
    page.locator(".coop-launcher").click()
    expect(page.get_by_role("dialog", name="Assistant coopération")).to_be_visible()
    expect(page.locator(".coop-bot").first).to_contain_text(GREETING)
    assert_accessible(page, "l'intranet de démonstration, widget ouvert")


def test_login_page_and_its_error(page, console_stack):
    page.goto(f"{console_stack.web_url}/review")
    expect(page.get_by_role("heading", name="Connexion des formateurs")).to_be_visible()
    assert_accessible(page, "la page de connexion")
    log_in(page, console_stack, password="pas-le-bon-mot-de-passe")
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "la page de connexion, mot de passe refusé")


def test_console_pages_signed_in(page, console_stack):
    log_in(page, console_stack)
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The conversations of the chat tests above may be listed too, once the server has indexed them.
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\d+ conversations"))
    assert_accessible(page, "la liste des conversations")

    page.get_by_label("Le texte contient").fill("piloter")
    page.get_by_label("Confiance inférieure à").fill("0,5")
    page.get_by_role("button", name="Filtrer").focus()
    assert focus_ring_contrast(page) >= 3
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("1 conversation")
    page.get_by_role("link", name="Confiance min.").click()
    expect(page.locator("th[aria-sort]")).to_have_count(1)
    assert_accessible(page, "la liste des conversations, filtrée et triée")

    page.locator("table.list tbody a").first.click()
    turn = page.locator("li.turn.user", has_text=UNCLEAR)
    turn.get_by_text("Annoter ce tour").click()
    expect(turn.get_by_label("Commentaire")).to_be_visible()
    assert_accessible(page, "une conversation, formulaire d'annotation ouvert")

    turn.get_by_label("État").select_option(label="anomalie")
    turn.get_by_label("Commentaire").fill("Piloter = chef de file.")
    turn.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("li.turn.user.annotated .annotation")).to_contain_text("anomalie")
    assert_accessible(page, "une conversation avec un tour annoté")

    page.goto(f"{console_stack.web_url}/review/dashboard")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    page.wait_for_function("() => window.Chart && window.Chart.getChart(document.getElementById('chart-days'))")
    assert_accessible(page, "le tableau de bord")

    page.goto(f"{console_stack.web_url}/review/c/inconnue")
    expect(page.get_by_role("heading", name=re.compile("introuvable"))).to_be_visible()
    assert_accessible(page, "la page « conversation introuvable »")


def test_every_page_of_the_console_menu(page, console_stack):
    log_in(page, console_stack)
    menu = page.get_by_role("navigation", name="Navigation principale")
    expect(menu).to_be_visible()
    # Every link of the menu but the downloads (the NLU export is a YAML file).
    pages = menu.locator("a:not([href$='.yml'])").evaluate_all("links => links.map(link => link.href)")
    assert len(pages) >= 2, pages
    for url in pages:
        response = page.goto(url)
        assert response.status == 200, f"{url} : {response.status}"
        assert_accessible(page, url)


def test_pages_fit_a_320_pixel_screen(page, console_stack):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(console_stack.web_url)
    page.locator(".coop-input").fill("Comment identifier un chef de file ?")
    page.locator(".coop-input").press("Enter")
    expect(page.locator(".coop-log")).to_contain_text("Comment faire :")
    assert_reflows(page, "la page de l'assistant")
    assert_accessible(page, "la page de l'assistant sur 320 px")

    page.goto(console_stack.demo_url)
    page.locator(".coop-launcher").click()
    expect(page.locator(".coop-bot").first).to_contain_text(GREETING)
    assert_reflows(page, "le widget ouvert dans l'intranet de démonstration")

    page.goto(f"{console_stack.web_url}/review/login")
    assert_reflows(page, "la page de connexion")
    log_in(page, console_stack)
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    assert_reflows(page, "la liste des conversations")
    assert_accessible(page, "la liste des conversations sur 320 px")
    page.locator("table.list tbody a").first.click()
    page.locator("details.annotate summary").first.click()
    assert_reflows(page, "une conversation, formulaire d'annotation ouvert")
    page.goto(f"{console_stack.web_url}/review/dashboard")
    page.wait_for_function("() => window.Chart && window.Chart.getChart(document.getElementById('chart-days'))")
    assert_reflows(page, "le tableau de bord")
    assert_accessible(page, "le tableau de bord sur 320 px")
