"""The content editing pages over HTTP (aiohttp test server): login and CSRF required, a bad
edit refused with its French message on the field, preview, diff, publish, history, restore."""

from __future__ import annotations

import html
import re

import pytest

import bot.text
from bot.kb import content as content_module
from bot.kb.db import make_engine, make_session_factory
from bot.kb.service import KnowledgeBase
from bot.review import accounts
from bot.review.content_history import ContentPublisher
from tests.review.test_web import PASSWORD, log_in, run

MISSION_ID = "identify_lead_partner"
MISSION_URL = f"/review/contenu/missions/{MISSION_ID}"
NEW_KEYWORD = "zorglubisme"


@pytest.fixture
def console(store, config, content_copy, tmp_path, analyzer, monkeypatch):
    """A console editing a copy of the content, with a knowledge base of its own."""
    kb_url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    monkeypatch.setattr(content_module, "DEFAULT_CONTENT_DIR", content_copy)
    monkeypatch.setenv("KB_DATABASE_URL", kb_url)
    monkeypatch.setattr(bot.text, "_DEFAULT_ANALYZER", analyzer)
    ContentPublisher(content_copy, kb_url).rebuild()
    with store.session() as session:
        accounts.create_trainer(session, "alice", PASSWORD)
    engine = make_engine(kb_url)
    yield config, store, KnowledgeBase(make_session_factory(engine), analyzer, reload_seconds=0.0), content_copy
    engine.dispose()


def hidden(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def textarea(page: str, name: str) -> str:
    return html.unescape(
        re.search(rf'<textarea id="f-{name}" name="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    )


async def edit_form(client, url=MISSION_URL):
    """The form as the page shows it: every field, the CSRF token and the digest."""
    page = await (await client.get(url)).text()
    form = {"csrf_token": hidden(page, "csrf_token"), "digest": hidden(page, "digest")}
    if url == MISSION_URL:
        form["title"] = hidden(page, "title")
        for name in ("summary", "why", "how", "pitfalls", "example", "keywords", "situations"):
            form[name] = textarea(page, name)
    else:
        form["synonyms"] = textarea(page, "synonyms")
    return form


def test_content_pages_need_a_login_and_posts_a_csrf_token(console):
    config, store, _kb, _dir = console

    async def scenario(client):
        for path in ("/review/contenu", MISSION_URL, "/review/contenu/synonymes", "/review/contenu/historique"):
            response = await client.get(path, allow_redirects=False)
            assert response.status == 303 and response.headers["Location"].startswith("/review/login")
        assert (await client.post(MISSION_URL, data={"action": "publish"}, allow_redirects=False)).status == 403
        await log_in(client)
        form = await edit_form(client)
        forged = await client.post(MISSION_URL, data={**form, "csrf_token": "x" * 43, "action": "publish"})
        assert forged.status == 403
        restore = await client.post("/review/contenu/historique/1/restaurer", data={"digest": form["digest"]})
        assert restore.status == 403

    run(scenario, config, store)


def test_list_shows_the_missions_by_phase_with_links_to_edit_them(console):
    config, store, _kb, _dir = console

    async def scenario(client):
        await log_in(client)
        page = await (await client.get("/review/contenu")).text()
        assert '<h2 id="phase-emergence">Phase d&#39;émergence</h2>' in page
        assert f'href="{MISSION_URL}"' in page and 'href="/review/contenu/synonymes"' in page
        assert (await client.get("/review/contenu/missions/inconnue")).status == 404

    run(scenario, config, store)


def test_bad_edit_is_refused_with_the_french_message_next_to_the_field_and_the_input_kept(console):
    config, store, kb, content_dir = console
    before = (content_dir / "missions" / "emergence.yml").read_bytes()

    async def scenario(client):
        await log_in(client)
        form = await edit_form(client)
        form.update(how="Une seule étape", title="Titre modifié", comment="essai", action="publish")
        response = await client.post(MISSION_URL, data=form)
        page = await response.text()
        assert response.status == 422
        assert '<p class="error field-error" id="erreur-how">« Étapes (comment faire) » doit compter de 3 à 6' in page
        assert re.search(r'<textarea id="f-how" name="how"[^>]*aria-describedby="aide-how erreur-how"', page)
        assert 'aria-invalid="true"' in page and 'role="alert"' in page
        assert 'value="Titre modifié"' in page and ">Une seule étape</textarea>" in page

    run(scenario, config, store)
    assert kb.get_mission(MISSION_ID).title != "Titre modifié"
    assert (content_dir / "missions" / "emergence.yml").read_bytes() == before


def test_preview_shows_the_mission_the_draft_would_pick_and_its_text_without_publishing(console):
    config, store, kb, _dir = console
    question = f"comment faire avec le {NEW_KEYWORD} des élus"

    async def scenario(client):
        await log_in(client)
        form = await edit_form(client)
        form.update(keywords=form["keywords"] + "\n" + NEW_KEYWORD, question=question, reading="mission")
        page = await (await client.post(MISSION_URL, data={**form, "action": "preview"})).text()
        draft = page.split("Avec vos modifications", 1)[1].split("Aujourd'hui", 1)[0]
        assert f"(<code>{MISSION_ID}</code>)" in draft
        assert "Comment faire :" in draft  # the mission's text as utter_mission shows it
        published = page.split("Aujourd'hui (version publiée)", 1)[1]
        assert f"(<code>{MISSION_ID}</code>)" not in published.split("</div>", 1)[0]
        empty = await client.post(MISSION_URL, data={**form, "question": " ", "action": "preview"})
        assert empty.status == 422 and 'id="erreur-question"' in await empty.text()

    run(scenario, config, store)
    assert not kb.find_missions(NEW_KEYWORD) or kb.find_missions(NEW_KEYWORD)[0].mission.id != MISSION_ID


def test_diff_lists_the_added_line_with_its_sign(console):
    config, store, _kb, _dir = console

    async def scenario(client):
        await log_in(client)
        form = await edit_form(client)
        form.update(keywords=form["keywords"] + "\n" + NEW_KEYWORD, action="diff")
        page = await (await client.post(MISSION_URL, data=form)).text()
        assert "1 ligne ajoutée (signe +), 0 ligne supprimée" in page
        assert (
            f'<tr class="add"><td>+ <span class="visually-hidden">ajoutée</span></td><td><ins>  - {NEW_KEYWORD}</ins>'
            in page
        )

    run(scenario, config, store)


def test_publish_changes_what_the_assistant_finds_and_the_history_restores_it(console):
    config, store, kb, content_dir = console
    original = (content_dir / "missions" / "emergence.yml").read_bytes()

    async def scenario(client):
        await log_in(client)
        form = await edit_form(client)
        form.update(keywords=form["keywords"] + "\n" + NEW_KEYWORD, comment="Le mot des agents", action="publish")
        published = await client.post(MISSION_URL, data=form, allow_redirects=False)
        assert published.status == 303 and "?publie=" in published.headers["Location"]
        assert kb.find_missions(NEW_KEYWORD)[0].mission.id == MISSION_ID
        page = await (await client.get(published.headers["Location"])).text()
        assert "Modification publiée" in page and "Le mot des agents" in page
        again = await client.post(MISSION_URL, data=form)  # the same form, now stale
        assert again.status == 409 and "modifié depuis l&#39;ouverture du formulaire" in await again.text()

        history = await (await client.get(f"/review/contenu/historique/missions/{MISSION_ID}")).text()
        assert "Le mot des agents" in history and "modification hors console (git)" in history
        restore = re.search(r'action="(/review/contenu/historique/(\d+)/restaurer)"', history)
        token, digest = hidden(history, "csrf_token"), hidden(history, "digest")
        back = await client.post(restore.group(1), data={"csrf_token": token, "digest": digest}, allow_redirects=False)
        assert back.status == 303 and "restauree=" in back.headers["Location"]
        after = await (await client.get(back.headers["Location"])).text()
        assert "Version antérieure rétablie" in after and "Retour à la version du" in after
        assert not kb.find_missions(NEW_KEYWORD) or kb.find_missions(NEW_KEYWORD)[0].mission.id != MISSION_ID
        overview = await (await client.get("/review/contenu/historique")).text()
        assert overview.count(f'href="/review/contenu/historique/missions/{MISSION_ID}"') == 3

    run(scenario, config, store)
    assert (content_dir / "missions" / "emergence.yml").read_bytes() == original
    assert not kb.find_missions(NEW_KEYWORD) or kb.find_missions(NEW_KEYWORD)[0].mission.id != MISSION_ID


def test_synonyms_page_refuses_a_bad_line_and_publishes_a_good_one(console):
    config, store, kb, content_dir = console

    async def scenario(client):
        await log_in(client)
        form = await edit_form(client, "/review/contenu/synonymes")
        bad = await client.post(
            "/review/contenu/synonymes", data={**form, "synonyms": "pilote chef de file", "action": "diff"}
        )
        assert bad.status == 422 and "Ligne 1 : écrivez « expression : sens »" in await bad.text()
        good = {**form, "synonyms": form["synonyms"] + f"\n{NEW_KEYWORD} : chef de file", "comment": "ajout"}
        published = await client.post("/review/contenu/synonymes", data={**good, "action": "publish"})
        assert published.status == 200 and "Modification publiée" in await published.text()

    run(scenario, config, store)
    assert f"{NEW_KEYWORD}: chef de file" in (content_dir / "synonymes.yml").read_text(encoding="utf-8")
    assert kb.find_missions(f"{NEW_KEYWORD} absent")[0].mission.id == MISSION_ID
