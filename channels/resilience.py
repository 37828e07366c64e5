"""The officer always gets an answer when the action server is down or slow.

Rasa 3.6 waits up to 5 minutes for a custom action, then logs the failure and answers
nothing: the officer sees an empty reply. Here a custom action that fails (server down,
timeout, error) is answered with the domain response ``utter_service_unavailable`` in
French, after at most ``ACTION_TIMEOUT_SECONDS`` (default 10 s), and the failure is logged
loudly. The next message goes to the action server again, so the assistant recovers as soon
as it is back.
"""

from __future__ import annotations

import logging
import os
from typing import Any, List

import rasa.core.actions.action as rasa_actions
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance

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


def install() -> None:
    """Bound the wait for the action server and answer in French when it fails; idempotent."""
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = float(os.environ.get(TIMEOUT_VARIABLE, "10"))
    RemoteAction.run = _run_or_apologise
