"""The console's pages: the filtered conversation list, a transcript and its annotations,
the dashboard. GET pages only read the index (the background task of refresh.py writes it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional
from urllib.parse import urlencode

from aiohttp import web

from bot.review import dashboard, queries
from bot.review.annotations import InvalidAnnotation, annotate
from bot.review.auth import Auth
from bot.review.console import PREFIX, Console
from bot.review.forms import filter_from_query, query_of

DASHBOARD_DAYS = 30
MAX_DASHBOARD_DAYS = 366


class Pages:
    def __init__(self, console: Console, auth: Auth) -> None:
        self.console = console
        self.auth = auth

    async def conversations(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        criteria, errors = filter_from_query(request.query)

        def read():
            with self.console.store.session() as session:
                return (
                    queries.list_conversations(session, criteria),
                    {kind: queries.list_values(session, kind) for kind in ("intent", "mission", "phase")},
                )

        page, values = await self.console.db(read)
        return self.console.page(
            "conversations.html",
            trainer=trainer,
            criteria=criteria,
            errors=errors,
            page=page,
            values=values,
            query=query_of(criteria),
        )

    async def transcript(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        transcript = await self.console.db(self.console.read_transcript, request.match_info["pseudonym"])
        if transcript is None:
            return self.console.page("not_found.html", status=404, trainer=trainer)
        return self.console.page(
            "transcript.html",
            trainer=trainer,
            transcript=transcript,
            intents=self.console.intents,
            error=request.query.get("erreur", ""),
        )

    async def annotate(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        form = await self.auth.checked_form(request, trainer)
        pseudonym = request.match_info["pseudonym"]
        try:
            event_id = int(form.get("turn", ""))
        except ValueError:
            raise web.HTTPBadRequest(text="Tour de parole invalide.", content_type="text/plain") from None

        def save() -> Optional[str]:
            with self.console.store.session() as session:
                if queries.get_conversation(session, pseudonym) is None:
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
                        known_intents=set(self.console.intents),
                    )
                except InvalidAnnotation as error:
                    session.rollback()
                    return str(error)
            return None

        error = await self.console.db(save)
        target = f"{PREFIX}/c/{pseudonym}"
        if error:
            raise web.HTTPSeeOther(target + "?" + urlencode({"erreur": error}) + f"#tour-{event_id}")
        raise web.HTTPSeeOther(target + f"#tour-{event_id}")

    async def dashboard(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        today = datetime.now(queries.local_zone()).date()
        date_from, date_to = period(_date(request.query.get("du")), _date(request.query.get("au")), today)

        def read():
            with self.console.store.session() as session:
                return dashboard.dashboard(session, date_from, date_to)

        board = await self.console.db(read)
        return self.console.page("dashboard.html", trainer=trainer, board=board)


def period(date_from: Optional[date], date_to: Optional[date], today: date):
    """The dashboard's days: as asked when they make sense, else the 30 days up to the end."""
    date_to = date_to or today
    default_start = date_to - timedelta(days=DASHBOARD_DAYS - 1)
    date_from = date_from or default_start
    if date_from > date_to or (date_to - date_from).days > MAX_DASHBOARD_DAYS:
        date_from = default_start
    return date_from, date_to


def _date(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
