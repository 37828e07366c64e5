"""nginx's generated configuration: every replica in every pool with its health check, POSTs
never sent twice to Rasa, action calls retried, and nginx itself accepts the file."""

from __future__ import annotations

import re
import subprocess

import pytest

from cluster.nginx import UNAVAILABLE, NginxSettings, render, write


@pytest.fixture
def settings(tmp_path) -> NginxSettings:
    return NginxSettings(
        directory=tmp_path / "nginx",
        listen="127.0.0.1:18000",
        actions_listen="127.0.0.1:18001",
        rasa_ports=[15005, 15006, 15007],
        action_ports=[15055, 15056, 15057],
        web_port=18080,
    )


def block(conf: str, header: str) -> str:
    """The text of the first ``header { ... }`` block (no nested braces in upstreams)."""
    match = re.search(re.escape(header) + r" \{(.*?)\n    \}", conf, re.S)
    assert match, header
    return match.group(1)


@pytest.mark.parametrize("upstream", ["rasa_rest", "rasa_socketio_balanced", "rasa_socketio_sticky"])
def test_every_rasa_pool_lists_every_replica_with_a_passive_health_check(settings, upstream):
    servers = block(render(settings), f"upstream {upstream}")
    for port in settings.rasa_ports:
        assert f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" in servers


def test_rest_goes_to_the_least_busy_replica_or_by_sender(settings):
    assert "least_conn;" in block(render(settings), "upstream rasa_rest")
    by_sender = NginxSettings(**{**settings.__dict__, "rest_routing": "sender"})
    assert "hash $rest_sender consistent;" in block(render(by_sender), "upstream rasa_rest")
    with pytest.raises(ValueError):
        render(NginxSettings(**{**settings.__dict__, "rest_routing": "random"}))


def test_polling_socketio_clients_are_sticky_and_websockets_balanced(settings):
    conf = render(settings)
    assert "hash $remote_addr consistent;" in block(conf, "upstream rasa_socketio_sticky")
    assert '"~*^websocket:$" rasa_socketio_balanced;' in conf
    assert "proxy_pass http://$socketio_pool;" in conf


def test_a_message_already_sent_to_rasa_is_never_sent_again(settings):
    public = block(render(settings), "server")
    directives = [line.strip() for line in public.splitlines() if not line.strip().startswith("#")]
    assert "proxy_next_upstream error timeout;" in directives
    assert not [line for line in directives if "non_idempotent" in line]


def test_action_calls_go_to_another_action_server_when_one_fails(settings):
    conf = render(settings)
    assert "proxy_next_upstream error timeout http_502 http_503 non_idempotent;" in conf
    for port in settings.action_ports:
        assert f"server 127.0.0.1:{port} max_fails=1" in block(conf, "upstream actions")


def test_nginx_accepts_the_configuration(settings, nginx_binary):
    conf = write(settings)
    check = subprocess.run(
        [str(nginx_binary), "-t", "-q", "-e", "stderr", "-p", str(conf.parent), "-c", conf.name],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert UNAVAILABLE in conf.read_text(encoding="utf-8")
