"""The chat page and the embedded widget, in headless Chromium."""

from __future__ import annotations

import re
import socket
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPLY_TIMEOUT, SCREENSHOTS

GREETING = "Je suis l'assistant des chargé(e)s de coopération"


def ask(page, text):
    page.locator(".coop-input").fill(text)
    page.locator(".coop-input").press("Enter")


def open_page(page, stack):
    page.goto(stack.web_url)
    expect(page.locator(".coop-bot").first).to_contain_text(GREETING)


def test_page_answers_a_question_naming_a_mission(page, stack):
    open_page(page, stack)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    ask(page, "Comment identifier un chef de file ?")
    expect(page.locator(".coop-user").last).to_have_text(re.compile("Comment identifier un chef de file"))
    log = page.locator(".coop-log")
    expect(log).to_contain_text("Mission de la carte : « identifier un chef de file »")
    expect(log).to_contain_text("Comment faire :")
    expect(page.locator(".coop-bot ol li").first).to_be_visible()
    expect(page.locator(".coop-typing")).to_be_hidden()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page.png"))


def test_quick_reply_sends_its_payload_and_shows_the_answer(page, stack):
    open_page(page, stack)
    page.get_by_role("button", name="Gérer un conflit entre partenaires").click()
    expect(page.locator(".coop-user").last).to_have_text(re.compile("Gérer un conflit entre partenaires"))
    expect(page.locator(".coop-log")).to_contain_text("Mission de la carte : « anticiper ou gérer les conflits »")
    expect(page.get_by_role("button", name="Gérer un conflit entre partenaires")).to_have_count(0)


def test_history_and_context_survive_a_reload(page, stack):
    open_page(page, stack)
    ask(page, "Comment favoriser l'interconnaissance ?")
    expect(page.locator(".coop-log")).to_contain_text("Mission de la carte : « favoriser l'interconnaissance »")
    page.reload()
    log = page.locator(".coop-log")
    expect(log).to_contain_text("Comment favoriser l'interconnaissance ?")
    expect(log).to_contain_text("Mission de la carte : « favoriser l'interconnaissance »")
    ask(page, "pourquoi ?")
    expect(log).to_contain_text("Pourquoi c'est important — Favoriser l'interconnaissance")


def test_new_conversation_starts_over(page, stack):
    open_page(page, stack)
    ask(page, "Comment favoriser l'interconnaissance ?")
    expect(page.locator(".coop-log")).to_contain_text("Comment faire :")
    page.get_by_role("button", name="Nouvelle conversation").click()
    expect(page.locator(".coop-user")).to_have_count(0)
    expect(page.locator(".coop-bot").first).to_contain_text(GREETING)
    ask(page, "pourquoi ?")
    expect(page.locator(".coop-log")).to_contain_text("De quelle mission parlez-vous ?")


def test_embedded_widget_converses_from_another_origin(page, stack):
    page.goto(stack.demo_url)
    assert stack.demo_url.rsplit(":", 1)[1] != stack.web_url.rsplit(":", 1)[1]
    launcher = page.locator(".coop-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(page.get_by_role("dialog", name="Assistant coopération")).to_be_visible()
    expect(page.locator(".coop-bot").first).to_contain_text(GREETING)
    ask(page, "Les élus doutent de l'intérêt de la coopération")
    expect(page.locator(".coop-log")).to_contain_text("Rassurer et mettre en confiance")
    page.screenshot(path=str(SCREENSHOTS / "embedded.png"))


def test_bot_text_with_html_is_shown_as_text_and_never_run(page, stack):
    hostile = '<img src=x onerror="alert(1)"> <script>alert(2)</script> trois communes'
    open_page(page, stack)
    for message in ("je voudrais faire le point sur ma coopération", "émergence", hostile):
        ask(page, message)
        expect(page.locator(".coop-typing")).to_be_hidden(timeout=REPLY_TIMEOUT)
    ask(page, "imposée par le financeur")
    expect(page.locator(".coop-log")).to_contain_text("4/4")
    ask(page, "les élus se méfient")
    plan = page.locator(".coop-bot", has_text="Voici un plan en")
    expect(plan).to_contain_text('<img src=x onerror="alert(1)">')
    expect(plan).to_contain_text("<script>alert(2)</script>")
    assert page.locator(".coop-log img, .coop-log script").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []


def test_keyboard_only_conversation(page, stack):
    page.goto(stack.demo_url)
    launcher = page.locator(".coop-launcher")
    for _ in range(10):
        page.keyboard.press("Tab")
        if launcher.evaluate("node => node === document.activeElement"):
            break
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".coop-input")).to_be_focused()
    expect(page.locator(".coop-bot").first).to_contain_text(GREETING)
    page.keyboard.type("Comment valoriser les résultats ?")
    page.keyboard.press("Enter")
    expect(page.locator(".coop-log")).to_contain_text("Mission de la carte : « valoriser // montrer les résultats »")
    reply = page.get_by_role("button", name="Un exemple")
    for _ in range(15):
        if reply.evaluate("node => node === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab")
    expect(reply).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".coop-log")).to_contain_text("Exemple — Valoriser et montrer les résultats")
    page.keyboard.press("Escape")
    expect(page.locator(".coop-panel")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_phone_sized_screen_gets_a_full_screen_panel(browser, stack):
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 667}, is_mobile=True)
    page = context.new_page()
    page.goto(stack.demo_url)
    page.locator(".coop-launcher").click()
    expect(page.locator(".coop-bot").first).to_contain_text(GREETING, timeout=REPLY_TIMEOUT)
    box = page.locator(".coop-panel").bounding_box()
    assert box["width"] == pytest.approx(375, abs=2) and box["height"] == pytest.approx(667, abs=2)
    page.screenshot(path=str(SCREENSHOTS / "phone.png"))
    context.close()


def test_widget_reconnects_after_a_server_restart(page, stack):
    open_page(page, stack)
    stack.kill("rasa")
    expect(page.locator(".coop-status")).to_contain_text("reconnexion", timeout=REPLY_TIMEOUT)
    stack.start("rasa")
    expect(page.locator(".coop-status")).to_be_hidden(timeout=60_000)
    ask(page, "Comment trouver des financements ?")
    expect(page.locator(".coop-log")).to_contain_text("Trouver des financements")


def websocket_handshake(stack, origin: str) -> int:
    """Status of a websocket upgrade to Rasa's socket.io endpoint sent with this Origin."""
    host, port = "127.0.0.1", stack.ports["rasa"]
    request = (
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Origin: {origin}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(request.encode())
        status_line = connection.recv(1024).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def cors_preflight(stack, origin: str):
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers.get("Access-Control-Allow-Origin")


def test_rasa_accepts_browsers_only_from_configured_origins(stack):
    assert websocket_handshake(stack, "http://intrus.example") == 400
    assert websocket_handshake(stack, stack.demo_url) == 101
    assert cors_preflight(stack, "http://intrus.example") is None
    assert cors_preflight(stack, stack.web_url) == stack.web_url


def test_pages_forbid_foreign_scripts(stack):
    with urllib.request.urlopen(stack.web_url, timeout=5) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "connect-src " + stack.rasa_url in policy
    assert "unsafe-inline" not in policy


def test_rasa_http_api_is_off_by_default(stack):
    for path in ("/status", "/conversations/quelqu-un/tracker", "/model/parse"):
        try:
            urllib.request.urlopen(f"{stack.rasa_url}{path}", timeout=5)
            status = 200
        except urllib.error.HTTPError as error:
            status = error.code
        assert status in (404, 405), path
