"""Settings of the review console, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TRACKER_URL = f"sqlite:///{REPO_ROOT / 'var' / 'tracker.sqlite3'}"
TRACKER_URL_VARIABLE = "TRACKER_DATABASE_URL"
SECRET_VARIABLE = "REVIEW_SECRET"
MIN_SECRET_CHARS = 32


def tracker_database_url(environ: Optional[Mapping[str, str]] = None) -> str:
    """Where Rasa stores the conversations (and where the console keeps its own tables)."""
    environ = os.environ if environ is None else environ
    return environ.get(TRACKER_URL_VARIABLE) or DEFAULT_TRACKER_URL


@dataclass(frozen=True)
class ReviewConfig:
    database_url: str = DEFAULT_TRACKER_URL
    # Keys the login cookies and CSRF tokens; without it the console refuses to start.
    secret: str = ""
    retention_days: int = 365
    session_hours: int = 8
    # Browsers keep Secure cookies on https and on http://localhost only.
    secure_cookie: bool = True
    max_failed_logins: int = 5
    lockout_minutes: int = 15

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> ReviewConfig:
        environ = os.environ if environ is None else environ
        return cls(
            database_url=tracker_database_url(environ),
            secret=environ.get(SECRET_VARIABLE, ""),
            retention_days=int(environ.get("CONVERSATION_RETENTION_DAYS", "365")),
            session_hours=int(environ.get("REVIEW_SESSION_HOURS", "8")),
            secure_cookie=environ.get("REVIEW_SECURE_COOKIE", "true").lower() not in ("0", "false", "no"),
        )

    def problem(self) -> Optional[str]:
        """Why the console cannot start, in French, or None."""
        if len(self.secret) < MIN_SECRET_CHARS:
            return (
                f"Console de revue désactivée : définissez la variable {SECRET_VARIABLE} "
                f"(au moins {MIN_SECRET_CHARS} caractères aléatoires, par exemple "
                "« python -c 'import secrets; print(secrets.token_urlsafe(32))' »)."
            )
        return None
