"""Serves the chat page, the embeddable widget, the trainers' review console (/review) and a
demo intranet page on another origin.

Everything the browser loads comes from our own origin (no CDN). Pages carry a strict
Content-Security-Policy: scripts and styles from our origin only, connections to the Rasa
server only.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from aiohttp import web

from bot.review.config import ReviewConfig
from bot.review.web import add_review_routes
from bot.web import responses

logger = logging.getLogger(__name__)

ASSETS = {
    name: responses.Asset(responses.WEB_ROOT / "static" / name, content_type)
    for name, content_type in (
        ("widget.js", "application/javascript"),
        ("widget.css", "text/css"),
        ("vendor/socket.io.min.js", "application/javascript"),
    )
}
# The widget is loaded by intranet pages of other origins: allow it explicitly.
WIDGET_HEADERS = {"Cross-Origin-Resource-Policy": "cross-origin"}


@dataclass(frozen=True)
class WebConfig:
    web_port: int = 8080
    demo_port: int = 8081
    host: str = "0.0.0.0"
    rasa_url: str = "http://localhost:5005"
    web_url: str = "http://localhost:8080"

    @classmethod
    def from_env(cls) -> WebConfig:
        web_port = int(os.environ.get("WEB_PORT", "8080"))
        return cls(
            web_port=web_port,
            demo_port=int(os.environ.get("DEMO_PORT", "8081")),
            host=os.environ.get("WEB_HOST", "0.0.0.0"),
            rasa_url=os.environ.get("RASA_PUBLIC_URL", f"http://localhost:{os.environ.get('RASA_PORT', '5005')}"),
            web_url=os.environ.get("WEB_PUBLIC_URL", f"http://localhost:{web_port}"),
        )


def chat_policy(config: WebConfig, script_origin: str = "'self'") -> str:
    """Scripts and styles from ``script_origin``, connections to the Rasa server only."""
    rasa = urlsplit(config.rasa_url)
    websocket = f"{'wss' if rasa.scheme == 'https' else 'ws'}://{rasa.netloc}"
    return responses.content_security_policy(scripts=script_origin, connect=f"{config.rasa_url} {websocket}")


FRENCH_ERRORS = {
    400: "Requête invalide.",
    403: "Accès refusé.",
    404: "Page introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    413: "Requête trop volumineuse.",
    500: "Erreur interne du serveur : réessayez dans un instant.",
    503: "Service momentanément indisponible : réessayez dans un instant.",
}


@web.middleware
async def french_errors(request: web.Request, handler):
    """Users see French only: aiohttp's own English error bodies are replaced, and an
    unexpected failure becomes a French 500 (logged with its trace) instead of a stack trace."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        default_body = error.text is None or error.text == f"{error.status}: {error.reason}"
        if error.status < 400 or not default_body:
            raise
        return web.Response(
            status=error.status,
            text=FRENCH_ERRORS.get(error.status, "Erreur."),
            content_type="text/plain",
            headers={key: value for key, value in error.headers.items() if key.lower() == "allow"},
        )
    except Exception:
        logger.exception("Erreur pendant %s %s", request.method, request.path)
        return web.Response(status=500, text=FRENCH_ERRORS[500], content_type="text/plain")


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def make_web_app(config: WebConfig, review: Optional[ReviewConfig] = None) -> web.Application:
    """The chat page at ``/``, the widget assets and, when given, the review console at
    ``/review``, all from this origin."""
    app = web.Application(middlewares=[security_headers, french_errors], client_max_size=256 * 1024)
    policy = chat_policy(config)
    templates = responses.templates()

    async def index(_request: web.Request) -> web.Response:
        return responses.html(templates.get_template("static/index.html").render(rasa_url=config.rasa_url), policy)

    async def asset(request: web.Request) -> web.Response:
        return responses.send_asset(ASSETS[request.path.lstrip("/")], WIDGET_HEADERS)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/", index)
    app.router.add_get("/health", health)
    app.router.add_get("/favicon.ico", lambda _request: web.Response(status=204))
    for name in ASSETS:
        app.router.add_get(f"/{name}", asset)
    if review is not None:
        add_review_routes(app, review, index_in_background=True)
    return app


def make_demo_app(config: WebConfig) -> web.Application:
    """A fake intranet page on another origin that embeds the widget with one script tag."""
    app = web.Application(middlewares=[security_headers, french_errors])
    web_origin = "{0.scheme}://{0.netloc}".format(urlsplit(config.web_url))
    policy = chat_policy(config, script_origin=web_origin)
    templates = responses.templates()

    async def intranet(_request: web.Request) -> web.Response:
        page = templates.get_template("demo/intranet.html")
        body = page.render(widget_url=f"{config.web_url}/widget.js", rasa_url=config.rasa_url)
        return responses.html(body, policy)

    app.router.add_get("/", intranet)
    app.router.add_get("/favicon.ico", lambda _request: web.Response(status=204))
    return app


async def serve(config: WebConfig) -> None:
    runners = []
    apps = ((make_web_app(config, ReviewConfig.from_env()), config.web_port), (make_demo_app(config), config.demo_port))
    for app, port in apps:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, config.host, port).start()
        runners.append(runner)
    logger.info("Page de l'assistant : %s — intranet de démonstration : port %d", config.web_url, config.demo_port)
    try:
        await asyncio.Event().wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s - %(message)s")
    try:
        asyncio.run(serve(WebConfig.from_env()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
