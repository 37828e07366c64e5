"""Rasa's socket.io channel, restricted to the origins the deployment allows.

Rasa 3.6 creates its socket.io server with CORS handling disabled, so any web page could open
a websocket to it: browsers do not apply CORS to websockets. This channel gives engine.io the
same allowlist as Rasa's ``--cors`` (environment variable ``CORS_ORIGINS``, space-separated),
so a handshake from another origin is refused with 400.
"""

from __future__ import annotations

import os
from typing import Any, Awaitable, Callable, List

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

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
        return blueprint
