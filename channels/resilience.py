"""The officer always gets an answer when the action server is down or slow, and no
conversation is silently kept in memory only.

Rasa 3.6 waits up to 5 minutes for a custom action, then logs the failure and answers
nothing: the officer sees an empty reply. Here a custom action that fails (server down,
timeout, error) is answered with the domain response ``utter_service_unavailable`` in
French, after at most ``ACTION_TIMEOUT_SECONDS`` (default 10 s), and the failure is logged
loudly. The next message goes to the action server again, so the assistant recovers as soon
as it is back.

Rasa's ``FailSafeTrackerStore`` switches to an in-memory store when the SQL tracker store
fails, so conversations go on but are no longer logged. Here the failure is raised instead:
the message is not processed, the REST channel answers a French apology, and the error is
logged with its cause — loud, and nothing is kept in memory only. Likewise Rasa replaces a
custom tracker store it cannot import with an in-memory one: here the server refuses to start.
"""

from __future__ import annotations

import logging
import os
from typing import Any, List

import rasa.core.actions.action as rasa_actions
import rasa.core.tracker_store as tracker_store_module
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.utils.common import class_from_module_path

logger = logging.getLogger(__name__)

UNAVAILABLE_RESPONSE = "utter_service_unavailable"
TIMEOUT_VARIABLE = "ACTION_TIMEOUT_SECONDS"
_original_run = RemoteAction.run


async def _run_or_apologise(self: RemoteAction, output_channel, nlg, tracker, domain) -> List[Any]:
    try:
        return await _original_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # a form rejecting the message: Rasa's normal flow
    except Exception:  # noqa: BLE001 - any failure of the remote call must still answer the user
        logger.exception("Le serveur d'actions n'a pas pu exécuter « %s » : réponse de repli envoyée.", self.name())
        message = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
        return [create_bot_utterance(message)] if message else []


class TrackerStoreUnavailable(RuntimeError):
    """The conversation log cannot be written or read: nothing is processed in memory only."""


def _refuse_in_memory_fallback(self: FailSafeTrackerStore, error: Exception) -> None:
    logger.critical(
        "Journal des conversations injoignable (%s) : message non traité plutôt que gardé en mémoire seulement.",
        type(self._tracker_store).__name__,
    )
    raise TrackerStoreUnavailable(f"Journal des conversations injoignable : {error}") from error


def _load_custom_tracker_store_or_fail(domain, store, event_broker=None):
    """Rasa falls back to an in-memory store when a custom store cannot be imported: refuse."""
    try:
        store_class = class_from_module_path(store.type)
    except (AttributeError, ImportError) as error:
        logger.critical("Journal des conversations « %s » introuvable : démarrage refusé.", store.type)
        raise TrackerStoreUnavailable(f"Journal des conversations introuvable : {store.type}") from error
    return store_class(host=store.url, domain=domain, event_broker=event_broker, **store.kwargs)


def install() -> None:
    """Bound the wait for the action server, answer in French when it fails, and refuse the
    in-memory fallback of the tracker store; idempotent."""
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = float(os.environ.get(TIMEOUT_VARIABLE, "10"))
    RemoteAction.run = _run_or_apologise
    FailSafeTrackerStore.on_tracker_store_error = _refuse_in_memory_fallback
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _refuse_in_memory_fallback
    tracker_store_module._load_from_module_name_in_endpoint_config = _load_custom_tracker_store_or_fail
