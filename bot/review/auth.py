"""Who may use the console: login and logout, the session cookie, and the CSRF token every
POST carries (the login form's is bound to a nonce kept in its own cookie)."""

from __future__ import annotations

import logging
import secrets
from typing import Dict, Optional
from urllib.parse import urlencode

from aiohttp import web

from bot.review import accounts
from bot.review.console import PREFIX, Console

logger = logging.getLogger(__name__)

SESSION_COOKIE = "review_session"
LOGIN_COOKIE = "review_login"


class Auth:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def require(self, request: web.Request) -> accounts.SignedIn:
        """The signed-in trainer; else a GET goes to the login page and a POST is refused."""
        trainer = await self.console.db(self._signed_in, request.cookies.get(SESSION_COOKIE))
        if trainer is None:
            if request.method == "GET":
                raise web.HTTPSeeOther(f"{PREFIX}/login?" + urlencode({"next": request.path_qs}))
            raise web.HTTPForbidden(text="Session expirée : reconnectez-vous.", content_type="text/plain")
        return trainer

    async def checked_form(self, request: web.Request, trainer: accounts.SignedIn) -> Dict[str, str]:
        """The posted form, once its CSRF token is the trainer's session one."""
        form = await request.post()
        if not accounts.tokens_match(trainer.csrf_token, form.get("csrf_token")):
            raise form_refused()
        return {key: str(value) for key, value in form.items()}

    def _signed_in(self, token: Optional[str]) -> Optional[accounts.SignedIn]:
        with self.console.store.session() as session:
            return accounts.signed_in(session, self.console.config, token)

    def _set_cookie(self, response: web.StreamResponse, name: str, value: str, max_age: Optional[int]) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PREFIX,
            httponly=True,
            secure=self.console.config.secure_cookie,
            samesite="Strict",
        )

    async def login_page(
        self, request: web.Request, error: str = "", status: int = 200, next_target: Optional[str] = None
    ) -> web.Response:
        nonce = secrets.token_urlsafe(24)
        response = self.console.page(
            "login.html",
            status=status,
            error=error,
            next=safe_next(request.query.get("next", "") if next_target is None else next_target),
            csrf_token=accounts.login_form_token(self.console.config, nonce),
        )
        self._set_cookie(response, LOGIN_COOKIE, nonce, max_age=3600)
        return response

    async def login(self, request: web.Request) -> web.Response:
        config = self.console.config
        form = await request.post()
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not accounts.tokens_match(accounts.login_form_token(config, nonce), form.get("csrf_token")):
            raise form_refused()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        next_target = str(form.get("next", ""))
        address = request.remote or "inconnue"
        token = await self.console.db(self._log_in, username, password, address)
        if token == "locked":
            logger.warning("Connexion refusée (trop d'échecs) pour « %s » depuis %s", username[:64], address)
            return await self.login_page(
                request,
                error=f"Trop de tentatives : réessayez dans {config.lockout_minutes} minutes.",
                status=429,
                next_target=next_target,
            )
        if token is None:
            logger.warning("Échec de connexion à la console pour « %s » depuis %s", username[:64], address)
            return await self.login_page(
                request, error="Identifiant ou mot de passe incorrect.", status=401, next_target=next_target
            )
        response = web.HTTPSeeOther(safe_next(next_target) or PREFIX)
        self._set_cookie(response, SESSION_COOKIE, token, max_age=config.session_hours * 3600)
        response.del_cookie(LOGIN_COOKIE, path=PREFIX)
        raise response

    def _log_in(self, username: str, password: str, address: str) -> Optional[str]:
        with self.console.store.session() as session:
            if accounts.is_locked_out(session, self.console.config, username, address):
                return "locked"
            return accounts.log_in(session, self.console.config, username, password, address)

    async def logout(self, request: web.Request) -> web.Response:
        trainer = await self.require(request)
        await self.checked_form(request, trainer)

        def forget() -> None:
            with self.console.store.session() as session:
                accounts.log_out(session, self.console.config, request.cookies.get(SESSION_COOKIE))

        await self.console.db(forget)
        response = web.HTTPSeeOther(f"{PREFIX}/login")
        response.del_cookie(SESSION_COOKIE, path=PREFIX)
        raise response


def form_refused() -> web.HTTPForbidden:
    """A POST without the right CSRF token."""
    return web.HTTPForbidden(
        text="Formulaire refusé : jeton de sécurité absent ou invalide. Rechargez la page.",
        content_type="text/plain",
    )


def safe_next(target: str) -> str:
    """Only paths of the console: never an open redirect to another site."""
    if target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return ""
