"""python -m bot.review: accounts, list, exports and the retention purge from the shell."""

from __future__ import annotations

import io
import time
from datetime import date

import pytest
import yaml
from sqlalchemy import func, select

from bot.review import accounts
from bot.review.cli import _parser, list_filter, main
from bot.review.models import EVENTS, Conversation, Turn
from bot.review.queries import ConversationFilter
from bot.review.store import ReviewStore
from tests.review.conftest import insert_events, recorded_events


@pytest.fixture
def cli(recorded, monkeypatch, capsys):
    monkeypatch.setenv("TRACKER_DATABASE_URL", str(recorded.engine.url))

    def call(*args, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        with pytest.raises(SystemExit) as stopped:
            main(list(args))
        output = capsys.readouterr()
        return stopped.value.code, output.out, output.err

    return call


def test_create_trainer_from_stdin_then_log_in(cli, recorded):
    code, out, _err = cli("create-trainer", "Claire", "--password-stdin", stdin="mot de passe long\n")
    assert code == 0 and "Compte « claire » créé." in out
    code, _out, err = cli("create-trainer", "claire", "--password-stdin", stdin="mot de passe long\n")
    assert code == 2 and "existe déjà" in err
    with recorded.session() as session:
        assert accounts.list_trainers(session) == ["claire"]


def test_list_filters_like_the_console(cli):
    code, out, err = cli("list", "--confiance", "0.5", "--repli")
    assert code == 0 and out.startswith("c-") and "Bonjour" in out and "1 conversation(s)" in err
    code, out, _err = cli("list", "--intention", "thank")
    assert code == 0 and out == ""
    code, out, _err = cli("list", "--csv")
    assert out.splitlines()[0].startswith("conversation;debut")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], ConversationFilter()),
        (["--du", "2026-11-01", "--au", "2026-11-30"], ConversationFilter(date(2026, 11, 1), date(2026, 11, 30))),
        (["--confiance", "0,5", "--repli"], ConversationFilter(confidence_below=0.5, fallback=True)),
        (
            "--texte|chef de file|--intention|ask_mission|--mission|build_trust|--phase|emergence".split("|"),
            ConversationFilter(text="chef de file", intent="ask_mission", mission="build_trust", phase="emergence"),
        ),
        (
            "--hors-perimetre --formulaire abandoned --annotation none --tri confidence --croissant".split(),
            ConversationFilter(
                out_of_scope=True, form="abandoned", annotation="none", sort="confidence", descending=False
            ),
        ),
    ],
)
def test_list_flags_make_the_console_filter(flags, expected):
    assert list_filter(_parser().parse_args(["list", *flags])) == expected


@pytest.mark.parametrize(
    "flags",
    ["--du hier", "--au 2026-13-01", "--confiance deux", "--confiance 1,5", "--annotation bof"],
)
def test_list_refuses_a_bad_value(cli, flags):
    code, out, err = cli("list", *flags.split())
    assert code == 2 and out == "" and f"argument {flags.split()[0]}" in err


def test_show_and_story_export(cli, tmp_path):
    pseudonym = cli("list")[1].split("\t")[0]
    code, out, _err = cli("show", pseudonym)
    assert code == 0 and "Utilisateur : Qui doit piloter notre projet ?  (nlu_fallback 0.30)" in out
    target = tmp_path / "story.yml"
    assert cli("export-story", pseudonym, "-o", str(target))[0] == 0
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["stories"][0]["story"] == f"revue {pseudonym}"
    assert cli("show", "c-inconnu")[0] == 1


def test_export_nlu_prints_yaml(cli):
    code, out, _err = cli("export-nlu")
    assert code == 0 and yaml.safe_load(out) == {"version": "3.1", "nlu": []}


def test_purge_deletes_old_conversations_with_their_events(recorded, monkeypatch, capsys):
    old = time.time() - 400 * 86400 - recorded_events()[-1]["timestamp"]
    insert_events(recorded, "old-officer", recorded_events(), shift=old)
    monkeypatch.setenv("TRACKER_DATABASE_URL", str(recorded.engine.url))
    with pytest.raises(SystemExit):
        main(["purge", "--days", "365"])
    assert "1 conversation(s) de plus de 365 jours supprimée(s)." in capsys.readouterr().out
    store = ReviewStore(str(recorded.engine.url))
    with store.session() as session:
        senders = set(session.execute(select(EVENTS.c.sender_id).distinct()).scalars())
        conversations = set(session.execute(select(Conversation.sender_id)).scalars())
        turns = session.execute(select(func.count()).select_from(Turn)).scalar_one()
    store.dispose()
    assert senders == conversations == {"officer-1"}
    assert turns == 22


def test_purge_refuses_a_zero_retention(cli):
    code, _out, err = cli("purge", "--days", "0")
    assert code == 2 and "au moins un jour" in err
