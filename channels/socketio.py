"""Rasa's socket.io channel, restricted to the origins the deployment allows.

Rasa 3.6 creates its socket.io server with CORS handling disabled, so any web page could open
a websocket to it: browsers do not apply CORS to websockets. This channel gives engine.io the
same allowlist as Rasa's ``--cors`` (environment variable ``CORS_ORIGINS``, space-separated),
so a handshake from another origin is refused with 400.

Messages are checked like on the REST channel (channels/rest.py): a payload that is not an
object, a missing or odd session id, or a message that is not a non-empty text gets a French
explanation instead of an exception in the server's log; messages are cleaned and cut to the
same limit; a failure while processing gets a French apology.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from channels.rest import APOLOGY, MAX_SENDER_CHARS, RequestRefused, clean_message

logger = logging.getLogger(__name__)

ORIGINS_VARIABLE = "CORS_ORIGINS"


def allowed_origins() -> List[str]:
    return [origin.rstrip("/") for origin in os.environ.get(ORIGINS_VARIABLE, "").split() if origin]


class RestrictedSocketIOInput(SocketIOInput):
    """socket.io channel that accepts browsers only from ``CORS_ORIGINS``."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        # None would mean "same origin only"; an empty allowlist refuses every browser origin
        # while still serving clients that send no Origin header (servers, tests).
        self.sio.eio.cors_allowed_origins = allowed_origins() or ["null"]
        namespace = self.namespace or "/"
        handlers = self.sio.handlers[namespace]
        handlers[self.user_message_evt] = self._checked(handlers[self.user_message_evt])
        return blueprint

    def _checked(self, handler: Callable[[str, Dict], Awaitable[None]]) -> Callable[[str, Any], Awaitable[None]]:
        async def handle_message(sid: str, data: Any) -> None:
            try:
                cleaned = self._read(data)
            except RequestRefused as refusal:
                await self.sio.emit(self.bot_message_evt, {"text": str(refusal)}, room=sid)
                return
            try:
                await handler(sid, cleaned)
            except Exception:  # noqa: BLE001 - the officer must still get an answer
                logger.exception("Échec du traitement d'un message socket.io")
                await self.sio.emit(self.bot_message_evt, {"text": APOLOGY}, room=sid)

        return handle_message

    def _read(self, data: Any) -> Dict:
        if not isinstance(data, dict):
            raise RequestRefused('Message invalide : un objet {"message": …, "session_id": …} est attendu.')
        message, truncated = clean_message(data.get("message"))
        session_id = data.get("session_id")
        if self.session_persistence and not (
            isinstance(session_id, str) and 0 < len(session_id) <= MAX_SENDER_CHARS and session_id.isprintable()
        ):
            raise RequestRefused("Session invalide : rechargez la page pour ouvrir une nouvelle conversation.")
        return {"message": message, "session_id": session_id, self.metadata_key: {"tronque": True} if truncated else {}}
