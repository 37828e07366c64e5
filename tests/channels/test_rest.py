"""Reading REST requests: French refusals for bad bodies, cleaned and capped messages."""

from __future__ import annotations

import json

import pytest

from channels.rest import MAX_MESSAGE_CHARS, RequestRefused, read_request


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_good_request_is_read():
    assert read_request(body(sender="agent-1", message="  Bonjour  ")) == ("agent-1", "Bonjour", False)


def test_control_and_invisible_characters_are_removed():
    sender, message, _ = read_request(body(sender="a", message="\x00bon\x1b[31mjour\u202e\u200b !"))
    assert message == "bon [31mjour !"


def test_long_message_is_cut_to_the_documented_limit():
    _, message, truncated = read_request(body(sender="a", message="é" * (MAX_MESSAGE_CHARS + 10)))
    assert truncated and len(message) == MAX_MESSAGE_CHARS
    _, message, _ = read_request(body(sender="a", message="mot " * MAX_MESSAGE_CHARS))
    assert len(message) == MAX_MESSAGE_CHARS - 1 and not message.endswith(" ")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{", "JSON"),
        (b'{"sender": "a", "message": "\xff\xfe"}', "UTF-8"),
        (b"null", "objet JSON"),
        (b"[]", "objet JSON"),
        (body(message="sans expéditeur"), "sender"),
        (body(sender="", message="x"), "sender"),
        (body(sender="x" * 200, message="x"), "sender"),
        (body(sender="a\nb", message="x"), "sender"),
        (body(sender="a", message=42), "texte"),
        (body(sender="a", message=None), "texte"),
        (body(sender="a", message=" \n\t "), "vide"),
    ],
)
def test_bad_requests_are_refused_in_french(raw, reason):
    with pytest.raises(RequestRefused, match=reason):
        read_request(raw)
