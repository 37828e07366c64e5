"""Rasa's REST channel with checked input and French errors.

Rasa 3.6's REST channel answers a malformed body with an English error page, lets every
caller without a ``sender`` share the conversation "default", and returns an empty list when
processing fails. This channel:

- refuses, with a 400 and a French message, a body that is not a JSON object, a missing or
  odd ``sender`` (1 to 128 printable characters) and a ``message`` that is not a non-empty
  text;
- removes control characters and cuts messages to ``MAX_MESSAGE_CHARS`` (documented limit);
  the cut message is processed and logged like any other, with ``"tronque": true`` in its
  metadata;
- never returns an empty list for a real message: a French apology is sent if processing
  failed or produced nothing, and the failure is logged.
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[ \t]{2,}")
APOLOGY = "Désolé, je n'ai pas pu traiter votre message. Pouvez-vous réessayer ou le reformuler ?"


class RequestRefused(ValueError):
    """The request cannot be processed; the message says why, in French."""


def read_request(body: bytes) -> Tuple[str, str, bool]:
    """(sender, cleaned message, truncated) from a raw request body, or RequestRefused."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RequestRefused("Requête invalide : le corps doit être du JSON en UTF-8.") from None
    if not isinstance(data, dict):
        raise RequestRefused('Requête invalide : un objet JSON {"sender": …, "message": …} est attendu.')
    sender = data.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS or not sender.isprintable():
        raise RequestRefused(f"Identifiant « sender » manquant ou invalide (1 à {MAX_SENDER_CHARS} caractères).")
    message, truncated = clean_message(data.get("message"))
    return sender.strip(), message, truncated


def clean_message(message: Any) -> Tuple[str, bool]:
    """(message without control characters, cut to MAX_MESSAGE_CHARS; was it cut?)."""
    if not isinstance(message, str):
        raise RequestRefused("Le champ « message » doit être un texte.")
    message = _SPACES.sub(" ", _CONTROL.sub(" ", message)).strip()
    if not message:
        raise RequestRefused("Message vide : écrivez votre question.")
    truncated = len(message) > MAX_MESSAGE_CHARS
    return message[:MAX_MESSAGE_CHARS].rstrip(), truncated


class CheckedRestInput(RestInput):
    """REST channel (``/webhooks/rest/webhook``) that checks its input and always answers."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, truncated = read_request(request.body or b"")
            except RequestRefused as refusal:
                return response.json({"erreur": str(refusal)}, status=400)
            collector = CollectingOutputChannel()
            metadata: Optional[dict] = {"tronque": True} if truncated else None
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            except CancelledError:
                logger.error("Traitement interrompu pour %s", sender)
            except Exception:  # noqa: BLE001 - the officer must still get an answer
                logger.exception("Échec du traitement d'un message de %s", sender)
            if not collector.messages:
                logger.error("Aucune réponse produite pour un message de %s : excuse envoyée.", sender)
                return response.json([{"recipient_id": sender, "text": APOLOGY}])
            return response.json(collector.messages)

        return webhook
