"""Rasa's socket.io channel, restricted to the origins the deployment allows, with session ids
that cannot be guessed or reused by another browser.

Rasa 3.6 creates its socket.io server with CORS handling disabled, so any web page could open
a websocket to it: browsers do not apply CORS to websockets. This channel gives engine.io the
same allowlist as Rasa's ``--cors`` (environment variable ``CORS_ORIGINS``, space-separated),
so a handshake from another origin is refused with 400.

Rasa 3.6 also lets any connection join the conversation whose id it sends in
``session_request``, and takes the sender id of every message from the payload: whoever learns
a session id (a log, a screenshot) reads the replies of that conversation and writes into it.
Here the id the browser keeps is a secret K (at least 22 url-safe characters, otherwise the
server issues one); the conversation's sender id and room is ``sha256(K)`` in hex, which is
what the tracker store and logs show and which cannot be turned back into K. Each connection
(socket.io sid) is bound, in memory, to the conversation it opened; messages go to that
conversation whatever ``session_id`` they carry.

Several replicas (make run-cluster): a browser's socket.io connection lives in one replica,
and the reply to a message of its conversation may be produced by another (a second tab, a
reconnection that landed elsewhere, a message sent over REST). With ``SOCKETIO_REDIS_URL`` set,
the replicas share their emits through python-socketio's ``AsyncRedisManager`` (Redis
publish/subscribe on the channel ``SOCKETIO_REDIS_CHANNEL``): each replica delivers to the
connections it holds in the conversation's room, so the reply reaches the browser whichever
replica it is connected to. Without it (make run, one process) rooms stay in memory.

Messages are checked like on the REST channel (channels/rest.py): a payload that is not an
object, a missing or odd session id, or a message that is not a non-empty text gets a French
explanation instead of an exception in the server's log; messages are cleaned and cut to the
same limit; a failure while processing gets a French apology.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from socketio import AsyncRedisManager

from channels.rest import APOLOGY, MAX_SENDER_CHARS, RequestRefused, clean_message

logger = logging.getLogger(__name__)

ORIGINS_VARIABLE = "CORS_ORIGINS"
REDIS_URL_VARIABLE = "SOCKETIO_REDIS_URL"
REDIS_CHANNEL_VARIABLE = "SOCKETIO_REDIS_CHANNEL"
SECRET_MIN_CHARS = 22  # secrets.token_urlsafe(16): 128 random bits
SECRET_MAX_CHARS = MAX_SENDER_CHARS
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")
NO_SESSION = "Session non ouverte : rechargez la page pour reprendre la conversation."


def allowed_origins() -> List[str]:
    return [origin.rstrip("/") for origin in os.environ.get(ORIGINS_VARIABLE, "").split() if origin]


def redis_manager(environ: Optional[Dict[str, str]] = None) -> Optional[AsyncRedisManager]:
    """The manager that shares emits between replicas, or None when ``SOCKETIO_REDIS_URL`` is unset."""
    environ = os.environ if environ is None else environ
    url = environ.get(REDIS_URL_VARIABLE)
    if not url:
        return None
    channel = environ.get(REDIS_CHANNEL_VARIABLE) or "socketio"
    where = urlsplit(url)
    logger.info(
        "socket.io partagé entre répliques par Redis : %s, canal « %s ».",
        f"{where.hostname}:{where.port or 6379}{where.path}",
        channel,
    )
    return AsyncRedisManager(url, channel=channel)


def conversation_id(secret: str) -> str:
    """The sender id (and socket.io room) of the conversation a browser secret opens."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def is_secret(candidate: Any) -> bool:
    """Whether a client-supplied session id is long and plain enough to be a browser secret."""
    return (
        isinstance(candidate, str)
        and SECRET_MIN_CHARS <= len(candidate) <= SECRET_MAX_CHARS
        and _URL_SAFE.fullmatch(candidate) is not None
    )


class BrowserSessions:
    """The conversation each socket.io connection (sid) opened, in this process's memory."""

    def __init__(self) -> None:
        self._conversations: Dict[str, str] = {}

    def open(self, sid: str, requested: Any) -> Tuple[str, str, Optional[str]]:
        """(secret for the browser to keep, its conversation id, the sid's previous conversation).

        The requested id is kept as the secret if it can be one, otherwise a fresh one is issued.
        """
        secret = requested if is_secret(requested) else secrets.token_urlsafe(32)
        conversation = conversation_id(secret)
        previous = self._conversations.get(sid)
        self._conversations[sid] = conversation
        return secret, conversation, previous

    def get_conversation(self, sid: str) -> Optional[str]:
        return self._conversations.get(sid)

    def close(self, sid: str) -> None:
        self._conversations.pop(sid, None)


class RestrictedSocketIOInput(SocketIOInput):
    """socket.io channel that accepts browsers only from ``CORS_ORIGINS`` and keeps each
    conversation to the browser holding its secret."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        manager = redis_manager()
        if manager is not None:
            # Rasa builds its AsyncServer without a client manager; nothing is connected yet, so
            # the in-memory one is replaced before it ever holds a room.
            self.sio.manager = manager
            manager.set_server(self.sio)
        # None would mean "same origin only"; an empty allowlist refuses every browser origin
        # while still serving clients that send no Origin header (servers, tests).
        self.sio.eio.cors_allowed_origins = allowed_origins() or ["null"]
        self.sessions = BrowserSessions()
        namespace = self.namespace or "/"
        handlers = self.sio.handlers[namespace]
        handlers["session_request"] = self._session_request
        handlers["disconnect"] = self._disconnected(handlers["disconnect"])
        handlers[self.user_message_evt] = self._checked(handlers[self.user_message_evt])
        return blueprint

    async def _session_request(self, sid: str, data: Any = None) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        secret, conversation, previous = self.sessions.open(sid, requested)
        namespace = self.namespace or "/"
        if previous and previous != conversation:
            self.sio.leave_room(sid, previous, namespace=namespace)
        self.sio.enter_room(sid, conversation, namespace=namespace)  # synchronous in python-socketio 5.9
        await self.sio.emit("session_confirm", secret, room=sid, namespace=namespace)

    def _disconnected(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def disconnect(sid: str, *args: Any) -> None:
            self.sessions.close(sid)
            await handler(sid, *args)

        return disconnect

    def _checked(self, handler: Callable[[str, Dict], Awaitable[None]]) -> Callable[[str, Any], Awaitable[None]]:
        async def handle_message(sid: str, data: Any = None) -> None:
            try:
                cleaned = self._read(data)
                if self.session_persistence:
                    cleaned["session_id"] = self.sessions.get_conversation(sid)
                    if cleaned["session_id"] is None:
                        raise RequestRefused(NO_SESSION)
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
