"""socket.io emits go through Redis when SOCKETIO_REDIS_URL is set (several replicas), and stay
in memory otherwise (make run). The delivery across two replicas is tested live in
tests/cluster/test_failover.py."""

from __future__ import annotations

from socketio import AsyncManager, AsyncRedisManager

from channels.socketio import RestrictedSocketIOInput


async def _nothing(_message) -> None:
    return None


def channel() -> RestrictedSocketIOInput:
    return RestrictedSocketIOInput.from_credentials({"session_persistence": True})


def test_replicas_share_emits_through_redis_on_the_deployment_channel(monkeypatch):
    monkeypatch.setenv("SOCKETIO_REDIS_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("SOCKETIO_REDIS_CHANNEL", "essai:socketio")
    socketio_input = channel()
    socketio_input.blueprint(_nothing)
    manager = socketio_input.sio.manager
    assert isinstance(manager, AsyncRedisManager)
    assert manager.channel == "essai:socketio" and manager.server is socketio_input.sio
    # Rasa's handlers and ours are still those of the server.
    assert {"session_request", "user_uttered", "disconnect"} <= set(socketio_input.sio.handlers["/"])


def test_one_process_keeps_its_rooms_in_memory(monkeypatch):
    monkeypatch.delenv("SOCKETIO_REDIS_URL", raising=False)
    socketio_input = channel()
    socketio_input.blueprint(_nothing)
    assert type(socketio_input.sio.manager) is AsyncManager
