"""How every page of the web server is answered: one Jinja2 set-up over web/, one
Content-Security-Policy builder, and one way to send a file of web/ (chat page, widget,
demo intranet page and review console alike).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import jinja2
from aiohttp import web

logger = logging.getLogger(__name__)

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"


def templates() -> jinja2.Environment:
    """Templates under web/ by their path there (``static/index.html``, ``review/login.html``),
    autoescaped; a name the page does not receive is an error, not an empty string."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(WEB_ROOT)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def content_security_policy(scripts: str = "'self'", connect: str = "'self'", forms: str = "'none'") -> str:
    """Nothing allowed but scripts and styles from ``scripts``, connections to ``connect``,
    images from our origin and form posts to ``forms``; no framing."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {scripts}",
            f"style-src {scripts}",
            f"connect-src {connect}",
            "img-src 'self' data:",
            "base-uri 'none'",
            f"form-action {forms}",
            "frame-ancestors 'none'",
        ]
    )


def html(body: str, policy: str, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> web.Response:
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        headers={"Content-Security-Policy": policy, **(headers or {})},
    )


@dataclass(frozen=True)
class Asset:
    """A script, style sheet or library of web/ served as it is."""

    path: Path
    content_type: str


def send_asset(asset: Optional[Asset], headers: Optional[Mapping[str, str]] = None) -> web.Response:
    """The file, not cached without asking; a French 404 for an unknown or missing one."""
    if asset is None:
        raise web.HTTPNotFound(text="Ressource introuvable.", content_type="text/plain")
    if not asset.path.exists():
        logger.error("%s manque : lancez « make web » pour copier les ressources npm.", asset.path)
        raise web.HTTPNotFound(text="Ressource introuvable.", content_type="text/plain")
    return web.Response(
        body=asset.path.read_bytes(),
        content_type=asset.content_type,
        headers={"Cache-Control": "no-cache", **(headers or {})},
    )
