"""Rasa's HTTP API is token-protected when enabled (RASA_API_TOKEN); off by default, which
tests/browser/test_widget.py checks on the default stack."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.stack import Stack

pytestmark = pytest.mark.live
TOKEN = "jeton-de-test-3f9a"


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def stack_with_api(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("api"), RASA_API_TOKEN=TOKEN)
    stack.start("rasa")
    yield stack
    stack.stop()


def test_api_requires_the_token_when_enabled(stack_with_api):
    base = stack_with_api.rasa_url
    assert status(f"{base}/status") == 401
    assert status(f"{base}/status?token=mauvais") == 401
    assert status(f"{base}/status?token={TOKEN}") == 200
    assert status(f"{base}/conversations/quelqu-un/tracker") == 401
