"""The web server's own pages: the chat page, its widget assets and the demo intranet page,
with their Content-Security-Policy and headers."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from bot.web.server import WebConfig, make_demo_app, make_web_app
from tests.review.test_web import directives

CONFIG = WebConfig(rasa_url="https://rasa.example:5005", web_url="https://web.example")


def get(app, path):
    async def main():
        async with TestClient(TestServer(app)) as client:
            response = await client.get(path)
            return response, await response.read()

    return asyncio.run(main())


def test_chat_page_connects_only_to_the_rasa_server():
    response, body = get(make_web_app(CONFIG), "/")
    assert response.status == 200 and response.content_type == "text/html"
    assert directives(response.headers["Content-Security-Policy"]) == {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "connect-src": "https://rasa.example:5005 wss://rasa.example:5005",
        "img-src": "'self' data:",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert 'data-server="https://rasa.example:5005"' in body.decode()


def test_chat_page_escapes_the_configured_address():
    _response, body = get(make_web_app(WebConfig(rasa_url='http://x/"><script>alert(1)</script>')), "/")
    assert "<script>alert(1)" not in body.decode() and "&lt;script&gt;" in body.decode()


def test_widget_assets_may_be_loaded_by_other_origins():
    for path, content_type in (("/widget.js", "application/javascript"), ("/widget.css", "text/css")):
        response, body = get(make_web_app(CONFIG), path)
        assert response.status == 200 and response.content_type == content_type and body
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_demo_intranet_loads_the_widget_from_the_web_server_origin():
    response, body = get(make_demo_app(CONFIG), "/")
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == policy["style-src"] == "https://web.example"
    assert policy["connect-src"] == "https://rasa.example:5005 wss://rasa.example:5005"
    assert '<script src="https://web.example/widget.js"' in body.decode()
