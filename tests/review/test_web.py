"""The console's pages over HTTP (aiohttp test server): login, CSRF, lock-out, pages, exports."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.review import accounts
from bot.review.config import ReviewConfig
from bot.review.models import Annotation, Conversation, Turn
from bot.review.refresh import keep_index_current
from bot.review.store import ReviewStore
from bot.review.web import add_review_routes
from bot.web.server import WebConfig, make_web_app
from tests.review.conftest import insert_events, recorded_events

PASSWORD = "un mot de passe solide"


def run(scenario, config, store):
    """Run ``scenario(client)`` against a console on a test server."""

    async def main():
        app = web.Application()
        add_review_routes(app, config, store)
        async with TestClient(TestServer(app)) as client:
            return await scenario(client)

    return asyncio.run(main())


@pytest.fixture
def console(recorded, config):
    with recorded.session() as session:
        accounts.create_trainer(session, "alice", PASSWORD)
    return config, recorded


async def login_token(client):
    page = await client.get("/review/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)


async def log_in(client, password=PASSWORD):
    token = await login_token(client)
    return await client.post(
        "/review/login",
        data={"username": "alice", "password": password, "csrf_token": token, "next": "/review"},
        allow_redirects=False,
    )


async def csrf_of(client, path="/review"):
    page = await client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)


def pseudonym(store):
    with store.session() as session:
        return session.execute(select(Conversation.pseudonym)).scalar_one()


def test_anonymous_visitor_is_sent_to_the_login_page(console):
    async def scenario(client):
        response = await client.get("/review?confiance=0.5", allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/review/login?next=")
        for path in ("/review/export/nlu.yml", "/review/conversations.csv", f"/review/c/{pseudonym(store)}"):
            assert (await client.get(path, allow_redirects=False)).status == 303
        post = await client.post(f"/review/c/{pseudonym(store)}/annotations", data={"turn": "1"})
        assert post.status == 403

    config, store = console
    run(scenario, *console)


def test_login_sets_a_strict_http_only_cookie_and_opens_the_list(console):
    async def scenario(client):
        response = await log_in(client)
        assert response.status == 303 and response.headers["Location"] == "/review"
        cookie = response.headers.getall("Set-Cookie")
        session_cookie = next(value for value in cookie if value.startswith("review_session="))
        assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie and "Path=/review" in session_cookie
        page = await client.get("/review")
        body = await page.text()
        assert page.status == 200 and "1 conversation" in body and "Bonjour" in body
        assert "officer-1" not in body
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Cache-Control"] == "no-store"

    run(scenario, *console)


def test_secure_cookie_flag_is_on_by_default(console):
    config, store = console

    async def scenario(client):
        # The same helper sets the session cookie; an http test client cannot send Secure cookies back.
        response = await client.get("/review/login")
        assert "Secure" in next(v for v in response.headers.getall("Set-Cookie") if v.startswith("review_login="))

    run(scenario, replace(config, secure_cookie=True), store)


def test_wrong_password_is_refused_in_french(console):
    async def scenario(client):
        response = await log_in(client, password="pas le bon")
        assert response.status == 401
        body = await response.text()
        assert "Identifiant ou mot de passe incorrect." in body
        assert 'name="next" value="/review"' in body
        assert (await client.get("/review", allow_redirects=False)).status == 303

    run(scenario, *console)


def test_login_without_csrf_token_is_refused(console):
    async def scenario(client):
        await client.get("/review/login")
        response = await client.post("/review/login", data={"username": "alice", "password": PASSWORD})
        assert response.status == 403 and "jeton de sécurité" in await response.text()

    run(scenario, *console)


def test_brute_force_is_throttled_even_with_the_right_password_afterwards(console):
    async def scenario(client):
        for _attempt in range(5):
            assert (await log_in(client, password="essai")).status == 401
        response = await log_in(client)
        assert response.status == 429 and "Trop de tentatives" in await response.text()

    run(scenario, *console)


def test_annotation_needs_the_session_csrf_token(console):
    config, store = console

    async def scenario(client):
        await log_in(client)
        with store.session() as session:
            event_id = session.execute(select(Turn.event_id).where(Turn.intent == "nlu_fallback")).scalar_one()
        form = {"turn": str(event_id), "state": "anomaly", "reason": "misunderstood", "correct_intent": "ask_mission"}
        path = f"/review/c/{pseudonym(store)}/annotations"
        refused = await client.post(path, data=form, allow_redirects=False)
        assert refused.status == 403
        forged = await client.post(path, data={**form, "csrf_token": "x" * 43}, allow_redirects=False)
        assert forged.status == 403
        with store.session() as session:
            assert session.execute(select(Annotation)).first() is None
        token = await csrf_of(client, f"/review/c/{pseudonym(store)}")
        saved = await client.post(path, data={**form, "csrf_token": token}, allow_redirects=False)
        assert saved.status == 303 and saved.headers["Location"].endswith(f"#tour-{event_id}")
        page = await (await client.get(f"/review/c/{pseudonym(store)}")).text()
        assert "anomalie" in page and "intention correcte : <strong>ask_mission</strong>" in page
        nlu = yaml.safe_load(await (await client.get("/review/export/nlu.yml")).text())
        assert nlu["nlu"] == [{"intent": "ask_mission", "examples": "- Qui doit piloter notre projet ?\n"}]

    run(scenario, *console)


def test_invalid_annotation_comes_back_as_a_french_message(console):
    config, store = console

    async def scenario(client):
        await log_in(client)
        token = await csrf_of(client)
        with store.session() as session:
            event_id = session.execute(select(Turn.event_id).where(Turn.kind == "bot")).scalars().first()
        response = await client.post(
            f"/review/c/{pseudonym(store)}/annotations",
            data={
                "turn": str(event_id),
                "state": "anomaly",
                "reason": "other",
                "correct_intent": "greet",
                "csrf_token": token,
            },
        )
        assert response.status == 200
        assert "ne s&#39;indique que sur un message" in await response.text()

    run(scenario, *console)


def test_user_text_is_escaped_in_the_transcript(console):
    config, store = console
    events = recorded_events()
    for event in events:
        if event["type_name"] == "user" and event["data"]["text"] == "Bonjour":
            event["data"]["text"] = "<script>alert(1)</script>"
    insert_events(store, "attacker", events)
    store.refresh()

    async def scenario(client):
        await log_in(client)
        listing = await (await client.get("/review?texte=alert")).text()
        target = re.search(r'href="/review/c/(c-[0-9a-f]+)"', listing).group(1)
        page = await (await client.get(f"/review/c/{target}")).text()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    run(scenario, *console)


def test_filters_csv_story_and_dashboard(console):
    config, store = console

    async def scenario(client):
        await log_in(client)
        low = await (await client.get("/review?confiance=0,5&repli=1")).text()
        assert "1 conversation" in low
        none = await (await client.get("/review?confiance=0.2")).text()
        assert "0 conversation" in none and "Aucune conversation" in none
        odd = await (await client.get("/review?confiance=deux&du=hier")).text()
        assert "Seuil de confiance ignoré" in odd and "Date de début ignorée" in odd
        csv_response = await client.get("/review/conversations.csv?repli=1")
        assert csv_response.headers["Content-Disposition"].startswith("attachment")
        assert (await csv_response.text()).count("\r\n") == 2
        story = yaml.safe_load(await (await client.get(f"/review/c/{pseudonym(store)}/story.yml")).text())
        assert story["stories"][0]["steps"][0] == {"user": "Bonjour\n", "intent": "greet"}
        board = await client.get("/review/dashboard?du=2026-11-01&au=2026-12-31")
        text = await board.text()
        assert board.status == 200 and "/review/static/chart.umd.js" in text and "dashboard-data" in text
        stylesheet = await client.get("/review/static/review.css")
        assert stylesheet.status == 200 and stylesheet.content_type == "text/css"
        assert (await client.get("/review/static/inconnu.js")).status == 404
        assert (await client.get("/review/static/../../etc/passwd")).status == 404
        assert (await client.get("/review/c/c-inconnu")).status == 404

    run(scenario, *console)


def test_login_redirect_stays_on_the_console(console):
    async def scenario(client):
        token = await login_token(client)
        response = await client.post(
            "/review/login",
            data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": "https://evil.example/"},
            allow_redirects=False,
        )
        assert response.headers["Location"] == "/review"

    run(scenario, *console)


def test_logout_needs_the_token_and_ends_the_session(console):
    async def scenario(client):
        await log_in(client)
        assert (await client.post("/review/logout", allow_redirects=False)).status == 403
        token = await csrf_of(client)
        assert (await client.post("/review/logout", data={"csrf_token": token}, allow_redirects=False)).status == 303
        assert (await client.get("/review", allow_redirects=False)).status == 303

    run(scenario, *console)


def test_console_refuses_to_start_without_a_secret(store):
    async def scenario(client):
        response = await client.get("/review")
        assert response.status == 503 and "REVIEW_SECRET" in await response.text()
        assert (await client.post("/review/login", data={})).status == 503

    run(scenario, ReviewConfig(database_url=str(store.engine.url), secret=""), store)


def test_unreachable_database_gives_a_french_page_not_a_trace(config):
    store = ReviewStore("postgresql+psycopg2://personne@127.0.0.1:1/absente")

    async def scenario(client):
        response = await client.get("/review")
        assert response.status == 503
        assert await response.text() == "La base des conversations est injoignable : réessayez dans un instant."

    run(scenario, replace(config, database_url=str(store.engine.url)), store)
    store.dispose()


def test_web_server_errors_are_in_french(store, config):
    async def scenario(client):
        missing = await client.get("/nulle-part")
        assert missing.status == 404 and await missing.text() == "Page introuvable."
        wrong_method = await client.delete("/review/login")
        assert wrong_method.status == 405 and "Méthode non autorisée" in await wrong_method.text()
        page = await client.get("/review/login")
        assert page.status == 200 and page.headers["X-Content-Type-Options"] == "nosniff"

    async def main():
        async with TestClient(TestServer(make_web_app(WebConfig(), config))) as client:
            await scenario(client)

    asyncio.run(main())


def test_background_indexing_reads_new_conversations_and_survives_outages(store):
    insert_events(store, "officer-1", recorded_events())
    broken = ReviewStore("postgresql+psycopg2://personne@127.0.0.1:1/absente")

    async def main():
        tasks = [asyncio.create_task(keep_index_current(s, every=0.05)) for s in (store, broken)]
        await asyncio.sleep(0.5)
        for task in tasks:
            assert not task.done()
            task.cancel()

    asyncio.run(main())
    broken.dispose()
    with store.session() as session:
        assert session.execute(select(Conversation.user_messages)).scalar_one() == 10


def directives(policy):
    """A Content-Security-Policy as {directive: sources}, so order does not matter."""
    return dict((part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";")) if part)


CONSOLE_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def test_console_pages_and_assets_carry_their_headers(console):
    async def scenario(client):
        login = await client.get("/review/login")
        assert directives(login.headers["Content-Security-Policy"]) == CONSOLE_POLICY
        assert login.headers["Cache-Control"] == "no-store" and login.headers["X-Frame-Options"] == "DENY"
        await log_in(client)
        for path in ("/review", "/review/dashboard", f"/review/c/{pseudonym(store)}"):
            page = await client.get(path)
            assert page.status == 200 and page.content_type == "text/html"
            assert directives(page.headers["Content-Security-Policy"]) == CONSOLE_POLICY
        script = await client.get("/review/static/review.js")
        assert script.content_type == "application/javascript" and script.headers["Cache-Control"] == "no-cache"
        assert "Cross-Origin-Resource-Policy" not in script.headers

    config, store = console
    run(scenario, *console)


def test_pages_only_read_the_index_the_background_task_writes_it(console):
    """A GET page never runs an index transaction: conversations logged after the last
    refresh appear once the store is refreshed (by the background task, here by the test)."""
    config, store = console
    insert_events(store, "officer-2", recorded_events(), shift=60)

    async def scenario(client):
        await log_in(client)
        for path in ("/review", "/review/dashboard", "/review/conversations.csv", f"/review/c/{pseudonym(store)}"):
            assert (await client.get(path)).status == 200
        with store.session() as session:
            assert session.execute(select(Conversation.sender_id)).scalars().all() == ["officer-1"]
        store.refresh()
        assert "2 conversations" in await (await client.get("/review")).text()

    run(scenario, *console)


def test_mission_titles_appear_once_the_knowledge_base_exists(console, monkeypatch, tmp_path, content, analyzer):
    """Started before the knowledge base is built, the console shows mission ids, then the
    titles as soon as the base exists, without a restart."""
    from bot.kb.db import make_engine
    from bot.kb.loader import build

    kb_url = f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"
    monkeypatch.setenv("KB_DATABASE_URL", kb_url)
    monkeypatch.setattr("bot.review.display.RETRY_SECONDS", 0.0, raising=False)
    config, store = console

    async def scenario(client):
        await log_in(client)
        path = f"/review/c/{pseudonym(store)}"
        before = await (await client.get(path)).text()
        assert '<span class="mission">identify_lead_partner</span>' in before
        engine = make_engine(kb_url)
        build(engine, content, analyzer)
        engine.dispose()
        after = await (await client.get(path)).text()
        assert '<span class="mission">Identifier un chef de file</span>' in after

    run(scenario, *console)


def test_web_server_starts_indexing_at_once(store, config):
    """A fresh console is not empty until the first background round, 30 s later."""
    insert_events(store, "officer-1", recorded_events())

    async def main():
        async with TestClient(TestServer(make_web_app(WebConfig(), config))):
            for _attempt in range(100):
                with store.session() as session:
                    if session.execute(select(Conversation.sender_id)).scalars().all():
                        return True
                await asyncio.sleep(0.05)
            return False

    assert asyncio.run(main())
