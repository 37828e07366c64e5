"""The review console at ``/review`` on the web server (aiohttp, server-side pages).

Every page needs a trainer's login (auth.py). GET pages only read (pages.py, downloads.py);
every POST carries the session's CSRF token. The index is written in the background
(refresh.py). Pages come from Jinja2 templates in web/review/ with autoescaping; scripts,
styles and the charting library come from this origin only (strict CSP).
"""

from __future__ import annotations

import html
import logging
from typing import Optional

from aiohttp import web

from bot.review import content_pages, gap_pages, training_pages
from bot.review.auth import Auth
from bot.review.config import ReviewConfig
from bot.review.console import PREFIX, Console, page_response
from bot.review.downloads import Downloads
from bot.review.pages import Pages
from bot.review.refresh import index_in_background as background_index
from bot.review.store import ReviewStore
from bot.web.responses import WEB_ROOT, Asset, send_asset

logger = logging.getLogger(__name__)

ASSETS = {
    "review.css": Asset(WEB_ROOT / "static" / "review" / "review.css", "text/css"),
    "review.js": Asset(WEB_ROOT / "static" / "review" / "review.js", "application/javascript"),
    "chart.umd.js": Asset(WEB_ROOT / "static" / "vendor" / "chart.umd.js", "application/javascript"),
}


async def asset(request: web.Request) -> web.Response:
    return send_asset(ASSETS.get(request.match_info["name"]))


class DisabledConsole:
    """Answers every console URL with why it is off (no secret configured)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def page(self, _request: web.Request) -> web.Response:
        return page_response(
            f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>Console de revue</title>'
            f"<h1>Console de revue indisponible</h1><p>{html.escape(self.reason)}</p></html>",
            status=503,
        )


def add_review_routes(
    app: web.Application, config: ReviewConfig, store: Optional[ReviewStore] = None, index_in_background: bool = False
) -> None:
    """Mount the console under /review; without a secret, every page explains why it is off.

    With ``index_in_background`` (the web server) the index is brought up to date at start-up
    and every 30 s; otherwise whoever writes the events refreshes it (tests: ``store.refresh()``).
    """
    problem = config.problem()
    if problem:
        logger.warning(problem)
        disabled = DisabledConsole(problem)
        app.router.add_route("*", PREFIX, disabled.page)
        app.router.add_route("*", PREFIX + "/{tail:.*}", disabled.page)
        return
    store = store or ReviewStore(config.database_url)
    app.on_cleanup.append(lambda _app: _dispose(store))
    if index_in_background:
        app.cleanup_ctx.append(background_index(store))
    console = Console(config, store)
    auth = Auth(console)
    pages, downloads = Pages(console, auth), Downloads(console, auth)
    routes = [
        ("GET", "", pages.conversations),
        ("GET", "/", pages.conversations),
        ("GET", "/login", auth.login_page),
        ("POST", "/login", auth.login),
        ("POST", "/logout", auth.logout),
        ("GET", "/conversations.csv", downloads.conversations_csv),
        ("GET", "/c/{pseudonym}", pages.transcript),
        ("POST", "/c/{pseudonym}/annotations", pages.annotate),
        ("GET", "/c/{pseudonym}/story.yml", downloads.story),
        ("GET", "/export/nlu.yml", downloads.nlu),
        ("GET", "/dashboard", pages.dashboard),
        ("GET", "/static/{name}", asset),
        # The trainers' loop: what is answered badly, the content, the models.
        *gap_pages.routes(console, auth),
        *content_pages.routes(console, auth),
        *training_pages.routes(console, auth),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, handler)


async def _dispose(store: ReviewStore) -> None:
    store.dispose()
