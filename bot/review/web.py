"""The review console at ``/review`` on the web server (aiohttp, server-side pages).

Every page needs a trainer's login. GET pages only read; every POST carries the session's
CSRF token. Pages come from Jinja2 templates in web/review/ with autoescaping; scripts,
styles and the charting library come from this origin only (strict CSP).
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Optional
from urllib.parse import urlencode

import jinja2
import yaml
from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.review import accounts, dashboard, export, queries
from bot.review.annotations import REASONS, STATES, InvalidAnnotation, annotate
from bot.review.config import ReviewConfig
from bot.review.forms import filter_from_query, query_of
from bot.review.store import ReviewStore

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "web" / "review"
STATIC = {
    "review.css": (REPO_ROOT / "web" / "static" / "review" / "review.css", "text/css"),
    "review.js": (REPO_ROOT / "web" / "static" / "review" / "review.js", "application/javascript"),
    "chart.umd.js": (REPO_ROOT / "web" / "static" / "vendor" / "chart.umd.js", "application/javascript"),
}
SESSION_COOKIE = "review_session"
LOGIN_COOKIE = "review_login"
PREFIX = "/review"
POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["percent"] = lambda value: "" if value is None else f"{value * 100:.0f} %"
    env.filters["mission_label"] = lambda value: _knowledge_labels()["mission"].get(value, value)
    env.filters["score"] = lambda value: "" if value is None else f"{value:.2f}".replace(".", ",")
    return env


def _when(timestamp: Optional[float]) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, queries.local_zone()).strftime("%d/%m/%Y %H:%M:%S")


def known_intents() -> list:
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return sorted(name if isinstance(name, str) else next(iter(name)) for name in domain.get("intents", []))


@functools.lru_cache(maxsize=1)
def _knowledge_labels() -> Dict[str, Dict[str, str]]:
    """Mission and phase titles for display; ids alone when the knowledge base is absent."""
    try:
        from bot.kb.service import KnowledgeBase

        kb = KnowledgeBase.from_url()
        return {
            "mission": {mission.id: mission.title for mission in kb.list_missions()},
            "phase": {phase.id: phase.label for phase in kb.list_phases(include_transversal=True)},
        }
    except Exception:  # noqa: BLE001 - titles are a comfort, not a requirement
        logger.warning("Base de connaissances illisible : la console affiche les identifiants des missions.")
        return {"mission": {}, "phase": {}}


class Console:
    """Handlers of the console; one instance per web application."""

    def __init__(self, config: ReviewConfig, store: ReviewStore) -> None:
        self.config = config
        self.store = store
        self.templates = _environment()
        self.intents = known_intents()

    # -- helpers -------------------------------------------------------------------------

    async def _db(self, function: Callable, *args: Any) -> Any:
        """Run blocking database work off the event loop; an unreachable database is a French 503."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))
        except DBAPIError as error:
            logger.error("Base des conversations injoignable pour la console : %s", error)
            raise web.HTTPServiceUnavailable(
                text="La base des conversations est injoignable : réessayez dans un instant.",
                content_type="text/plain",
            ) from error

    def _page(self, name: str, status: int = 200, **values: Any) -> web.Response:
        labels = _knowledge_labels()
        body = self.templates.get_template(name).render(
            prefix=PREFIX, states=STATES, reasons=REASONS, form_states=queries.FORM_STATES, labels=labels, **values
        )
        return web.Response(text=body, status=status, content_type="text/html", headers=_page_headers())

    def _cookie(self, response: web.StreamResponse, name: str, value: str, max_age: Optional[int]) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PREFIX,
            httponly=True,
            secure=self.config.secure_cookie,
            samesite="Strict",
        )

    def _signed_in(self, request: web.Request) -> Optional[accounts.SignedIn]:
        with self.store.session() as session:
            return accounts.signed_in(session, self.config, request.cookies.get(SESSION_COOKIE))

    async def _require(self, request: web.Request) -> accounts.SignedIn:
        trainer = await self._db(self._signed_in, request)
        if trainer is None:
            if request.method == "GET":
                raise web.HTTPSeeOther(f"{PREFIX}/login?" + urlencode({"next": request.path_qs}))
            raise web.HTTPForbidden(text="Session expirée : reconnectez-vous.", content_type="text/plain")
        return trainer

    async def _check_csrf(self, request: web.Request, trainer: accounts.SignedIn) -> Dict[str, str]:
        form = await request.post()
        if not accounts.tokens_match(trainer.csrf_token, form.get("csrf_token")):
            raise _form_refused()
        return {key: str(value) for key, value in form.items()}

    # -- login ---------------------------------------------------------------------------

    async def login_page(
        self, request: web.Request, error: str = "", status: int = 200, next_target: Optional[str] = None
    ) -> web.Response:
        nonce = secrets.token_urlsafe(24)
        response = self._page(
            "login.html",
            status=status,
            error=error,
            next=_safe_next(request.query.get("next", "") if next_target is None else next_target),
            csrf_token=accounts.login_form_token(self.config, nonce),
        )
        self._cookie(response, LOGIN_COOKIE, nonce, max_age=3600)
        return response

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not accounts.tokens_match(
            accounts.login_form_token(self.config, nonce), form.get("csrf_token")
        ):
            raise _form_refused()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        next_target = str(form.get("next", ""))
        address = request.remote or "inconnue"
        token = await self._db(self._log_in, username, password, address)
        if token == "locked":
            logger.warning("Connexion refusée (trop d'échecs) pour « %s » depuis %s", username[:64], address)
            return await self.login_page(
                request,
                error=f"Trop de tentatives : réessayez dans {self.config.lockout_minutes} minutes.",
                status=429,
                next_target=next_target,
            )
        if token is None:
            logger.warning("Échec de connexion à la console pour « %s » depuis %s", username[:64], address)
            return await self.login_page(
                request, error="Identifiant ou mot de passe incorrect.", status=401, next_target=next_target
            )
        response = web.HTTPSeeOther(_safe_next(next_target) or PREFIX)
        self._cookie(response, SESSION_COOKIE, token, max_age=self.config.session_hours * 3600)
        response.del_cookie(LOGIN_COOKIE, path=PREFIX)
        raise response

    def _log_in(self, username: str, password: str, address: str) -> Optional[str]:
        with self.store.session() as session:
            if accounts.is_locked_out(session, self.config, username, address):
                return "locked"
            return accounts.log_in(session, self.config, username, password, address)

    async def logout(self, request: web.Request) -> web.Response:
        trainer = await self._require(request)
        await self._check_csrf(request, trainer)

        def forget() -> None:
            with self.store.session() as session:
                accounts.log_out(session, self.config, request.cookies.get(SESSION_COOKIE))

        await self._db(forget)
        response = web.HTTPSeeOther(f"{PREFIX}/login")
        response.del_cookie(SESSION_COOKIE, path=PREFIX)
        raise response

    # -- pages ---------------------------------------------------------------------------

    async def conversations(self, request: web.Request) -> web.Response:
        trainer = await self._require(request)
        criteria, errors = filter_from_query(request.query)

        def read():
            self.store.refresh()
            with self.store.session() as session:
                return (
                    queries.list_conversations(session, criteria),
                    {kind: queries.list_values(session, kind) for kind in ("intent", "mission", "phase")},
                )

        page, values = await self._db(read)
        return self._page(
            "conversations.html",
            trainer=trainer,
            criteria=criteria,
            errors=errors,
            page=page,
            values=values,
            query=query_of(criteria),
        )

    async def conversations_csv(self, request: web.Request) -> web.Response:
        await self._require(request)
        criteria, _errors = filter_from_query(request.query)

        def read() -> str:
            self.store.refresh()
            with self.store.session() as session:
                return export.csv_text(queries.iter_conversations(session, criteria))

        return _download(await self._db(read), "conversations.csv", "text/csv")

    async def transcript(self, request: web.Request) -> web.Response:
        trainer = await self._require(request)
        transcript = await self._db(self._transcript, request.match_info["pseudonym"])
        if transcript is None:
            return self._page("not_found.html", status=404, trainer=trainer)
        return self._page(
            "transcript.html",
            trainer=trainer,
            transcript=transcript,
            intents=self.intents,
            error=request.query.get("erreur", ""),
        )

    def _transcript(self, pseudonym: str):
        self.store.refresh()
        with self.store.session() as session:
            return queries.get_transcript(session, pseudonym)

    async def annotate(self, request: web.Request) -> web.Response:
        trainer = await self._require(request)
        form = await self._check_csrf(request, trainer)
        pseudonym = request.match_info["pseudonym"]
        try:
            event_id = int(form.get("turn", ""))
        except ValueError:
            raise web.HTTPBadRequest(text="Tour de parole invalide.", content_type="text/plain") from None

        def save() -> Optional[str]:
            with self.store.session() as session:
                conversation = queries.get_conversation(session, pseudonym)
                if conversation is None:
                    return "Conversation introuvable."
                try:
                    annotate(
                        session,
                        event_id,
                        state=form.get("state", ""),
                        reason=form.get("reason", ""),
                        author=trainer.username,
                        correct_intent=form.get("correct_intent"),
                        comment=form.get("comment", ""),
                        known_intents=set(self.intents),
                    )
                except InvalidAnnotation as error:
                    session.rollback()
                    return str(error)
            return None

        error = await self._db(save)
        target = f"{PREFIX}/c/{pseudonym}"
        if error:
            raise web.HTTPSeeOther(target + "?" + urlencode({"erreur": error}) + f"#tour-{event_id}")
        raise web.HTTPSeeOther(target + f"#tour-{event_id}")

    async def story(self, request: web.Request) -> web.Response:
        await self._require(request)
        transcript = await self._db(self._transcript, request.match_info["pseudonym"])
        if transcript is None:
            raise web.HTTPNotFound(text="Conversation introuvable.", content_type="text/plain")
        pseudonym = transcript.conversation.pseudonym
        return _download(export.story_yaml(transcript), f"test_revue_{pseudonym}.yml", "application/yaml")

    async def nlu(self, request: web.Request) -> web.Response:
        await self._require(request)

        def read() -> str:
            with self.store.session() as session:
                examples, _skipped = export.corrected_examples(session)
            return export.nlu_yaml(examples)

        return _download(await self._db(read), "nlu_revue.yml", "application/yaml")

    async def dashboard(self, request: web.Request) -> web.Response:
        trainer = await self._require(request)
        today = datetime.now(queries.local_zone()).date()
        date_to = _date(request.query.get("au")) or today
        date_from = _date(request.query.get("du")) or date_to - timedelta(days=29)
        if date_from > date_to or (date_to - date_from).days > 366:
            date_from = date_to - timedelta(days=29)

        def read():
            self.store.refresh()
            with self.store.session() as session:
                return dashboard.dashboard(session, date_from, date_to)

        board = await self._db(read)
        return self._page("dashboard.html", trainer=trainer, board=board)

    async def static(self, request: web.Request) -> web.Response:
        path, content_type = STATIC.get(request.match_info["name"], (None, ""))
        if path is None:
            raise web.HTTPNotFound(text="Ressource introuvable.", content_type="text/plain")
        if not path.exists():
            logger.error("%s manque : lancez « make web » pour copier les ressources npm.", path)
            raise web.HTTPNotFound(text="Ressource introuvable.", content_type="text/plain")
        return web.Response(body=path.read_bytes(), content_type=content_type, headers={"Cache-Control": "no-cache"})


def _form_refused() -> web.HTTPForbidden:
    """A POST without the right CSRF token."""
    return web.HTTPForbidden(
        text="Formulaire refusé : jeton de sécurité absent ou invalide. Rechargez la page.",
        content_type="text/plain",
    )


def _page_headers() -> Dict[str, str]:
    return {"Content-Security-Policy": POLICY, "Cache-Control": "no-store", "X-Frame-Options": "DENY"}


def _download(text: str, filename: str, content_type: str) -> web.Response:
    return web.Response(
        text=text,
        content_type=content_type,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _date(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _safe_next(target: str) -> str:
    """Only paths of the console: never an open redirect to another site."""
    if target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return ""


class DisabledConsole:
    """Answers every console URL with why it is off (no secret configured)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def page(self, _request: web.Request) -> web.Response:
        return web.Response(
            text=f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>Console de revue</title>'
            f"<h1>Console de revue indisponible</h1><p>{html.escape(self.reason)}</p></html>",
            status=503,
            content_type="text/html",
            headers=_page_headers(),
        )


INDEX_EVERY_SECONDS = 30.0


async def keep_index_current(store: ReviewStore, every: float = INDEX_EVERY_SECONDS) -> None:
    """Index new conversations in the background, so pages rarely wait for it."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(None, store.refresh)
        except Exception as error:  # noqa: BLE001 - a database outage must not stop the web server
            logger.warning("Indexation des conversations impossible pour l'instant : %s", error)
        await asyncio.sleep(every)


def add_review_routes(
    app: web.Application, config: ReviewConfig, store: Optional[ReviewStore] = None, index_in_background: bool = False
) -> None:
    """Mount the console under /review; without a secret, every page explains why it is off."""
    problem = config.problem()
    if problem:
        logger.warning(problem)
        disabled = DisabledConsole(problem)
        app.router.add_route("*", PREFIX, disabled.page)
        app.router.add_route("*", PREFIX + "/{tail:.*}", disabled.page)
        return
    store = store or ReviewStore(config.database_url)
    console = Console(config, store)
    app.on_cleanup.append(lambda _app: _dispose(store))
    if index_in_background:

        async def start(_app: web.Application):
            task = asyncio.create_task(keep_index_current(store))
            yield
            task.cancel()

        app.cleanup_ctx.append(start)
    routes = [
        ("GET", "", console.conversations),
        ("GET", "/", console.conversations),
        ("GET", "/login", console.login_page),
        ("POST", "/login", console.login),
        ("POST", "/logout", console.logout),
        ("GET", "/conversations.csv", console.conversations_csv),
        ("GET", "/c/{pseudonym}", console.transcript),
        ("POST", "/c/{pseudonym}/annotations", console.annotate),
        ("GET", "/c/{pseudonym}/story.yml", console.story),
        ("GET", "/export/nlu.yml", console.nlu),
        ("GET", "/dashboard", console.dashboard),
        ("GET", "/static/{name}", console.static),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, handler)


async def _dispose(store: ReviewStore) -> None:
    store.dispose()
