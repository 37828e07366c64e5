"""Trainer accounts, login sessions, login throttling and CSRF tokens of the review console.

- Passwords are hashed with Argon2id (argon2-cffi's defaults, the library OWASP points to).
- A login gives a random session token in an HttpOnly, SameSite=Strict, Secure cookie; the
  database keeps only its keyed hash (HMAC with ``REVIEW_SECRET``), so a copy of the table
  gives no usable cookie.
- Each session has its own CSRF token, required on every form; the login form, before any
  session, carries a token signed with the secret and bound to a cookie (double submit).
- After ``max_failed_logins`` failures for one user name or one address within the lock-out
  window, logins from it are refused until the window has passed, good password or not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.review.config import ReviewConfig
from bot.review.models import FailedLogin, LoginSession, Trainer

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
MIN_PASSWORD_CHARS = 12
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user name is unknown, so both cases take the same time.
    Made on first use: one Argon2 hash took 110 ms here, paid before at every start of the web
    server and of each command, console used or not."""
    return _hasher.hash("mot de passe factice pour égaliser le temps de réponse")


class AccountError(ValueError):
    """Refused account operation; the message is French."""


@dataclass(frozen=True)
class SignedIn:
    trainer_id: int
    username: str
    csrf_token: str


def _get_trainer(session: Session, username: str) -> Optional[Trainer]:
    """The account of a user name as typed (case and surrounding spaces ignored), or None."""
    return session.execute(select(Trainer).where(Trainer.username == username.strip().lower())).scalar_one_or_none()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"Mot de passe trop court : au moins {MIN_PASSWORD_CHARS} caractères.")


def create_trainer(session: Session, username: str, password: str) -> Trainer:
    username = username.strip().lower()
    if not (2 <= len(username) <= 64) or not set(username) <= USERNAME_CHARS:
        raise AccountError("Identifiant invalide : 2 à 64 caractères parmi a-z, 0-9, « . », « _ », « - ».")
    _check_password(password)
    if _get_trainer(session, username):
        raise AccountError(f"Le compte « {username} » existe déjà.")
    trainer = Trainer(username=username, password_hash=_hasher.hash(password), created_at=time.time())
    session.add(trainer)
    session.flush()
    return trainer


def set_password(session: Session, username: str, password: str) -> None:
    trainer = _get_trainer(session, username)
    if trainer is None:
        raise AccountError(f"Aucun compte « {username} ».")
    _check_password(password)
    trainer.password_hash = _hasher.hash(password)
    session.execute(delete(LoginSession).where(LoginSession.trainer_id == trainer.id))


def list_trainers(session: Session) -> list:
    return list(session.execute(select(Trainer.username).order_by(Trainer.username)).scalars())


def delete_trainer(session: Session, username: str) -> bool:
    trainer = _get_trainer(session, username)
    if trainer is None:
        return False
    session.execute(delete(LoginSession).where(LoginSession.trainer_id == trainer.id))
    session.delete(trainer)
    return True


def _keyed(config: ReviewConfig, value: str) -> str:
    return hmac.new(config.secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def is_locked_out(session: Session, config: ReviewConfig, username: str, address: str) -> bool:
    since = time.time() - config.lockout_minutes * 60
    keys = [f"user:{username.strip().lower()[:64]}", f"ip:{address}"]
    counts = session.execute(
        select(FailedLogin.key, func.count())
        .where(FailedLogin.key.in_(keys), FailedLogin.at >= since)
        .group_by(FailedLogin.key)
    ).all()
    return any(count >= config.max_failed_logins for _key, count in counts)


def log_in(session: Session, config: ReviewConfig, username: str, password: str, address: str) -> Optional[str]:
    """Check the credentials; returns a new session token (the cookie value), or None.

    Callers check ``is_locked_out`` first: a locked-out login is not even verified.
    """
    username = username.strip().lower()[:64]
    trainer = _get_trainer(session, username)
    try:
        _hasher.verify(trainer.password_hash if trainer else _dummy_hash(), password)
        valid = trainer is not None
    except (VerificationError, InvalidHashError):
        valid = False
    if not valid:
        now = time.time()
        session.add_all([FailedLogin(key=f"user:{username}", at=now), FailedLogin(key=f"ip:{address}", at=now)])
        return None
    if _hasher.check_needs_rehash(trainer.password_hash):
        trainer.password_hash = _hasher.hash(password)
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            token_hash=_keyed(config, token),
            trainer_id=trainer.id,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=time.time() + config.session_hours * 3600,
        )
    )
    # Old failures and expired sessions are of no further use.
    session.execute(delete(FailedLogin).where(FailedLogin.at < time.time() - config.lockout_minutes * 60))
    session.execute(delete(LoginSession).where(LoginSession.expires_at < time.time()))
    return token


def signed_in(session: Session, config: ReviewConfig, token: Optional[str]) -> Optional[SignedIn]:
    if not token or len(token) > 100:
        return None
    row = session.execute(
        select(LoginSession, Trainer.username)
        .join(Trainer, Trainer.id == LoginSession.trainer_id)
        .where(LoginSession.token_hash == _keyed(config, token), LoginSession.expires_at > time.time())
    ).one_or_none()
    if row is None:
        return None
    login, username = row
    return SignedIn(trainer_id=login.trainer_id, username=username, csrf_token=login.csrf_token)


def log_out(session: Session, config: ReviewConfig, token: Optional[str]) -> None:
    if token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == _keyed(config, token)))


def login_form_token(config: ReviewConfig, nonce: str) -> str:
    """CSRF token of the login form, bound to the nonce kept in the visitor's cookie."""
    return _keyed(config, "login:" + nonce)


def tokens_match(expected: Optional[str], given: Optional[str]) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
