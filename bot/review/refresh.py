"""The console's index kept current in the background: a first pass as the web server
starts (a fresh console is not empty), then every 30 s. Pages never index."""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator, Callable

from aiohttp import web

from bot.review.store import ReviewStore

logger = logging.getLogger(__name__)

INDEX_EVERY_SECONDS = 30.0


async def keep_index_current(store: ReviewStore, every: float = INDEX_EVERY_SECONDS) -> None:
    """Index new conversations now, then every ``every`` seconds, off the event loop."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(None, store.refresh)
        except Exception as error:  # noqa: BLE001 - a database outage must not stop the web server
            logger.warning("Indexation des conversations impossible pour l'instant : %s", error)
        await asyncio.sleep(every)


def index_in_background(store: ReviewStore) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context running ``keep_index_current`` for the life of the application."""

    async def running(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(keep_index_current(store))
        yield
        task.cancel()

    return running
