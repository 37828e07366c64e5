"""Trainer accounts: hashing, sessions, lock-out after repeated failures."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from bot.review import accounts
from bot.review.config import ReviewConfig
from bot.review.models import LoginSession, Trainer

PASSWORD = "un mot de passe solide"


@pytest.fixture
def trainer(store):
    with store.session() as session:
        accounts.create_trainer(session, "Alice", PASSWORD)
    return "alice"


def test_password_is_stored_as_an_argon2_hash(store, trainer):
    with store.session() as session:
        stored = session.execute(select(Trainer.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("a", PASSWORD, "Identifiant invalide"),
        ("alice b", PASSWORD, "Identifiant invalide"),
        ("bob", "court", "trop court"),
    ],
)
def test_account_creation_refuses_bad_values(store, username, password, message):
    with store.session() as session, pytest.raises(accounts.AccountError, match=message):
        accounts.create_trainer(session, username, password)


def test_duplicate_account_is_refused(store, trainer):
    with store.session() as session, pytest.raises(accounts.AccountError, match="existe déjà"):
        accounts.create_trainer(session, "ALICE", PASSWORD)


def test_login_gives_a_session_whose_token_is_not_stored(store, config, trainer):
    with store.session() as session:
        token = accounts.log_in(session, config, "Alice", PASSWORD, "127.0.0.1")
    assert token
    with store.session() as session:
        signed_in = accounts.signed_in(session, config, token)
        stored = session.execute(select(LoginSession.token_hash)).scalar_one()
    assert signed_in.username == "alice" and len(signed_in.csrf_token) >= 32
    assert token not in stored


def test_wrong_password_and_unknown_user_are_refused(store, config, trainer):
    with store.session() as session:
        assert accounts.log_in(session, config, "alice", "mauvais mot de passe", "127.0.0.1") is None
        assert accounts.log_in(session, config, "mallory", PASSWORD, "127.0.0.1") is None


def test_session_expires(store, config, trainer):
    with store.session() as session:
        token = accounts.log_in(session, config, "alice", PASSWORD, "127.0.0.1")
        session.execute(update(LoginSession).values(expires_at=time.time() - 1))
    with store.session() as session:
        assert accounts.signed_in(session, config, token) is None


def test_session_from_another_secret_is_not_recognised(store, config, trainer):
    with store.session() as session:
        token = accounts.log_in(session, config, "alice", PASSWORD, "127.0.0.1")
    other = ReviewConfig(database_url=config.database_url, secret="y" * 40)
    with store.session() as session:
        assert accounts.signed_in(session, other, token) is None


def test_repeated_failures_lock_the_user_name_and_the_address(store, config, trainer):
    for _attempt in range(config.max_failed_logins):
        with store.session() as session:
            accounts.log_in(session, config, "alice", "essai au hasard", "10.0.0.9")
    with store.session() as session:
        assert accounts.is_locked_out(session, config, "alice", "127.0.0.1")
        assert accounts.is_locked_out(session, config, "bob", "10.0.0.9")
        assert not accounts.is_locked_out(session, config, "bob", "127.0.0.1")


def test_changing_the_password_closes_open_sessions(store, config, trainer):
    with store.session() as session:
        token = accounts.log_in(session, config, "alice", PASSWORD, "127.0.0.1")
        accounts.set_password(session, "alice", "un autre mot de passe")
    with store.session() as session:
        assert accounts.signed_in(session, config, token) is None


def test_login_form_token_depends_on_the_nonce(config):
    assert accounts.login_form_token(config, "a") != accounts.login_form_token(config, "b")
    assert accounts.tokens_match(accounts.login_form_token(config, "a"), accounts.login_form_token(config, "a"))
    assert not accounts.tokens_match("", "")
