"""What every handler of the review console shares: its settings and store, the templates,
database work off the event loop, and the page response with the console's headers."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Callable, Optional

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.review import queries
from bot.review.annotations import REASONS, STATES
from bot.review.config import ReviewConfig
from bot.review.display import KnowledgeLabels, filters, known_intents
from bot.review.store import ReviewStore
from bot.web import responses

logger = logging.getLogger(__name__)

PREFIX = "/review"
POLICY = responses.content_security_policy(scripts="'self'", connect="'self'", forms="'self'")
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}


class Console:
    """One per web application: the handlers of auth.py, pages.py and downloads.py use it."""

    def __init__(self, config: ReviewConfig, store: ReviewStore) -> None:
        self.config = config
        self.store = store
        self.labels = KnowledgeLabels()
        self.templates = responses.templates()
        self.templates.filters.update(filters(self.labels))
        self.intents = known_intents()

    async def db(self, function: Callable, *args: Any) -> Any:
        """Run blocking database work off the event loop; an unreachable database is a French 503."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))
        except DBAPIError as error:
            logger.error("Base des conversations injoignable pour la console : %s", error)
            raise web.HTTPServiceUnavailable(
                text="La base des conversations est injoignable : réessayez dans un instant.",
                content_type="text/plain",
            ) from error

    def page(self, name: str, status: int = 200, **values: Any) -> web.Response:
        """The template ``web/review/<name>`` filled with ``values``."""
        body = self.templates.get_template(f"review/{name}").render(
            prefix=PREFIX,
            states=STATES,
            reasons=REASONS,
            form_states=queries.FORM_STATES,
            labels=self.labels.get(),
            **values,
        )
        return page_response(body, status)

    def read_transcript(self, pseudonym: str) -> Optional[queries.Transcript]:
        """One conversation as indexed (blocking: call it through ``db``)."""
        with self.store.session() as session:
            return queries.get_transcript(session, pseudonym)


def page_response(body: str, status: int = 200) -> web.Response:
    return responses.html(body, POLICY, status, PAGE_HEADERS)
