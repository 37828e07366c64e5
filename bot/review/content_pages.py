"""The review console's content editing: edit a mission or the synonyms, preview the answer,
see the diff, publish (the knowledge base is rebuilt at once), history and restore.

The edit form carries the digest of the document it shows; every POST carries the session's
CSRF token. Blocking work (files, the loader, the knowledge base) runs off the event loop.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote

from aiohttp import web

from bot.kb import editing
from bot.kb.content import ContentError
from bot.kb.service import KnowledgeBase, KnowledgeBaseUnavailable
from bot.review import content_history as history
from bot.review import content_preview as preview
from bot.review.auth import Auth
from bot.review.console import PREFIX, Console
from bot.review.display import when

logger = logging.getLogger(__name__)

BASE = PREFIX + "/contenu"
ACTIONS = ("preview", "diff", "publish")
MAX_COMMENT_CHARS = 1000


@dataclass
class Outcome:
    """What a POST of the edit form leads to: the form again (with errors, a preview, a diff)
    or the published version."""

    status: int = 200
    errors: Dict[str, str] = field(default_factory=dict)
    problem: str = ""
    draft_answer: Optional[preview.Answer] = None
    published_answer: Optional[preview.Answer] = None
    published_unavailable: bool = False
    diff: Optional[List[editing.DiffLine]] = None
    version: Optional[history.Version] = None


class ContentPages:
    def __init__(self, console: Console, auth: Auth, publisher: Optional[history.ContentPublisher] = None) -> None:
        self.console = console
        self.auth = auth
        self.publisher = publisher or history.ContentPublisher()
        self._published_kb: Optional[KnowledgeBase] = None
        self._kb_lock = threading.Lock()
        self._warmed = False

    # -- the list ------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)

        def read():
            try:
                content = self.publisher.load()
            except ContentError as error:
                return None, str(error)
            missions = {}
            for mission in content.missions:
                missions.setdefault(mission.phase_id, []).append(mission)
            return [(phase, missions.get(phase.id, [])) for phase in content.phases], ""

        phases, problem = await self.console.db(read)
        return self.console.page("content.html", trainer=trainer, phases=phases or [], problem=problem)

    # -- editing -------------------------------------------------------------------------

    async def mission(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        mission_id = request.match_info["mission_id"]
        current = await self.console.db(self._current, history.MISSION, mission_id)
        if current is None:
            return self.console.page("content_not_found.html", status=404, trainer=trainer)
        return await self._edit_page(
            request, trainer, history.MISSION, mission_id, current, editing.mission_form(current.document)
        )

    async def synonyms(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        current = await self.console.db(self._current, history.SYNONYMS, history.SYNONYMS_ID)
        values = {"synonyms": editing.synonyms_form(current.document)}
        return await self._edit_page(request, trainer, history.SYNONYMS, history.SYNONYMS_ID, current, values)

    async def mission_post(self, request: web.Request) -> web.Response:
        return await self._post(request, history.MISSION, request.match_info["mission_id"])

    async def synonyms_post(self, request: web.Request) -> web.Response:
        return await self._post(request, history.SYNONYMS, history.SYNONYMS_ID)

    async def _post(self, request: web.Request, kind: str, item_id: str) -> web.Response:
        trainer = await self.auth.require(request)
        form = await self.auth.checked_form(request, trainer)
        current = await self.console.db(self._current, kind, item_id)
        if current is None:
            return self.console.page("content_not_found.html", status=404, trainer=trainer)
        action = form.get("action", "")
        if action not in ACTIONS:
            raise web.HTTPBadRequest(text="Action inconnue.", content_type="text/plain")
        shown_digest = form.get("digest", "")
        if kind == history.SYNONYMS:
            values = {"synonyms": form.get("synonyms", "")}
        else:
            values = {name: form.get(name, "") for name in editing.EDITABLE_FIELDS}
        outcome = await self.console.db(self._handle, kind, item_id, current, form, action, trainer.username)
        if outcome.version is not None:
            raise web.HTTPSeeOther(f"{self._edit_url(kind, item_id)}?publie={outcome.version.id}")
        return await self._edit_page(
            request, trainer, kind, item_id, current, values, form=form, outcome=outcome, shown_digest=shown_digest
        )

    def _handle(
        self, kind: str, item_id: str, current: history.Current, form: Dict[str, str], action: str, author: str
    ) -> Outcome:
        outcome = Outcome()
        try:
            if kind == history.SYNONYMS:
                draft = editing.synonyms_from_form(form.get("synonyms", ""))
            else:
                draft = editing.mission_from_form(current.document, form)
            if action == "publish":
                with self.console.store.session() as session:
                    outcome.version = self.publisher.publish(
                        session,
                        kind,
                        item_id,
                        draft,
                        form.get("digest", ""),
                        author,
                        form.get("comment", "")[:MAX_COMMENT_CHARS],
                    )
                self.console.labels.forget()  # a new title shows on the next page
                return outcome
            content = self.publisher.check(kind, item_id, draft)
        except history.StaleEdit as error:
            outcome.status, outcome.problem = 409, error.message
            return outcome
        except editing.EditError as error:
            outcome.status = 422
            if error.field:
                outcome.errors[error.field] = error.message
            else:
                outcome.problem = error.message
            return outcome
        if action == "diff":
            outcome.diff = editing.diff_lines(current.document, draft)
            return outcome
        question = " ".join(form.get("question", "").split())
        if not question:
            outcome.status = 422
            outcome.errors["question"] = "Tapez la question d'un agent pour voir ce que l'assistant lui répondrait."
            return outcome
        reading = form.get("reading", preview.DEFAULT_READING)
        draft_kb = preview.draft_knowledge_base(content, self.publisher.analyzer())
        outcome.draft_answer = preview.answer(draft_kb, question, reading)
        try:
            outcome.published_answer = preview.answer(self._published(), question, reading)
        except KnowledgeBaseUnavailable:
            outcome.published_unavailable = True
        return outcome

    def _warm_up(self) -> None:
        """Load the French analyzer and the search index of the base in service in the
        background, once, when a trainer first opens an edit form: the first preview then
        answers in about a second instead of waiting for spaCy (not done at start-up, so that
        a web server nobody edits content on does not hold spaCy in memory)."""
        if self._warmed:
            return
        self._warmed = True

        def warm() -> None:
            try:
                self._published().warm_up()
            except Exception:  # noqa: BLE001 - the preview says so if the base stays unreadable
                logger.warning("Préchargement de l'aperçu impossible : la base en service est illisible.")

        threading.Thread(target=warm, name="content-preview-warm-up", daemon=True).start()

    async def _edit_page(
        self,
        request: web.Request,
        trainer,
        kind: str,
        item_id: str,
        current: history.Current,
        values: Dict[str, str],
        form: Optional[Dict[str, str]] = None,
        outcome: Optional[Outcome] = None,
        shown_digest: Optional[str] = None,
    ) -> web.Response:
        def read():
            with self.console.store.session() as session:
                history.notice_outside_change(session, kind, item_id, current.document)
                return history.list_versions(session, kind, item_id, limit=5)

        versions = await self.console.db(read)
        self._warm_up()
        published = None
        try:
            published = int(request.query.get("publie", ""))
        except ValueError:
            pass
        form = form or {}
        outcome = outcome or Outcome()
        template = "content_synonyms.html" if kind == history.SYNONYMS else "content_mission.html"
        return self.console.page(
            template,
            status=outcome.status,
            trainer=trainer,
            item_id=item_id,
            document=current.document,
            file_name=current.path.name,
            digest=current.digest if shown_digest is None else shown_digest,
            values=values,
            labels_of=editing.FIELD_LABELS,
            text_fields=editing.TEXT_FIELDS,
            list_fields=editing.LIST_FIELDS,
            fields=editing.EDITABLE_FIELDS,
            comment=form.get("comment", ""),
            question=form.get("question", ""),
            reading=form.get("reading", preview.DEFAULT_READING),
            readings=preview.READINGS,
            outcome=outcome,
            published=published,
            versions=versions,
            action_url=self._edit_url(kind, item_id),
            history_url=self._history_url(kind, item_id),
        )

    # -- history -------------------------------------------------------------------------

    async def history(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)

        def read():
            with self.console.store.session() as session:
                history.history_items(session, self.publisher)
                return history.list_versions(session, limit=300)

        versions = await self.console.db(read)
        return self.console.page(
            "content_history.html",
            trainer=trainer,
            versions=versions,
            item=None,
            url_of=self._history_url,
        )

    async def item_history(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        mission_id = request.match_info.get("mission_id")
        kind, item_id = (history.MISSION, mission_id) if mission_id else (history.SYNONYMS, history.SYNONYMS_ID)
        current = await self.console.db(self._current, kind, item_id)

        def read():
            with self.console.store.session() as session:
                if current is not None:
                    history.notice_outside_change(session, kind, item_id, current.document)
                return history.list_versions(session, kind, item_id)

        versions = await self.console.db(read)
        if current is None and not versions:
            return self.console.page("content_not_found.html", status=404, trainer=trainer)
        diffs = {
            newer.id: editing.diff_lines(older.document, newer.document)
            for newer, older in zip(versions, versions[1:], strict=False)
        }
        return self.console.page(
            "content_history.html",
            status=409 if request.query.get("conflit") else 200,
            trainer=trainer,
            versions=versions,
            item=(kind, item_id),
            current=current,
            diffs=diffs,
            restored=request.query.get("restauree", ""),
            conflict=request.query.get("conflit", ""),
            edit_url=self._edit_url(kind, item_id),
            url_of=self._history_url,
        )

    async def restore(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        form = await self.auth.checked_form(request, trainer)
        try:
            version_id = int(request.match_info["version_id"])
        except ValueError:
            raise web.HTTPNotFound() from None

        def run() -> Tuple[Optional[history.Version], Optional[history.Version], str]:
            with self.console.store.session() as session:
                version = history.get_version(session, version_id)
            if version is None:
                return None, None, ""
            try:
                with self.console.store.session() as session:
                    restored = self.publisher.publish(
                        session,
                        version.kind,
                        version.item_id,
                        version.document,
                        form.get("digest", ""),
                        trainer.username,
                        history.restore_comment(version, when),
                        restored_from=version.id,
                    )
                self.console.labels.forget()
            except editing.EditError as error:
                return version, None, error.message
            return version, restored, ""

        version, restored, problem = await self.console.db(run)
        if version is None:
            return self.console.page("content_not_found.html", status=404, trainer=trainer)
        target = self._history_url(version.kind, version.item_id)
        if problem:
            raise web.HTTPSeeOther(f"{target}?conflit={quote(problem)}")
        raise web.HTTPSeeOther(f"{target}?restauree={restored.id}")

    # -- helpers -------------------------------------------------------------------------

    def _current(self, kind: str, item_id: str) -> Optional[history.Current]:
        return self.publisher.current(kind, item_id)

    def _published(self) -> KnowledgeBase:
        """The knowledge base in service (its caches follow each publication)."""
        with self._kb_lock:
            if self._published_kb is None:
                self._published_kb = KnowledgeBase.from_url(self.publisher.kb_url, self.publisher.analyzer())
        return self._published_kb

    @staticmethod
    def _edit_url(kind: str, item_id: str) -> str:
        return f"{BASE}/synonymes" if kind == history.SYNONYMS else f"{BASE}/missions/{quote(item_id)}"

    @staticmethod
    def _history_url(kind: str, item_id: str) -> str:
        if kind == history.SYNONYMS:
            return f"{BASE}/historique/synonymes"
        return f"{BASE}/historique/missions/{quote(item_id)}"


def routes(console: Console, auth: Auth) -> List[Tuple]:
    pages = ContentPages(console, auth)
    return [
        ("GET", "/contenu", pages.index),
        ("GET", "/contenu/missions/{mission_id}", pages.mission),
        ("POST", "/contenu/missions/{mission_id}", pages.mission_post),
        ("GET", "/contenu/synonymes", pages.synonyms),
        ("POST", "/contenu/synonymes", pages.synonyms_post),
        ("GET", "/contenu/historique", pages.history),
        ("GET", "/contenu/historique/synonymes", pages.item_history),
        ("GET", "/contenu/historique/missions/{mission_id}", pages.item_history),
        ("POST", "/contenu/historique/{version_id:\\d+}/restaurer", pages.restore),
    ]
