"""The editors' command line: check, build, search, suggest, show."""

from __future__ import annotations

import pytest

from bot.kb.cli import main


def test_check_reports_valid_content(capsys):
    assert main(["check"]) == 0
    assert "Contenu valide" in capsys.readouterr().out


def test_check_names_file_and_entry_of_invalid_content(content_copy, capsys):
    path = content_copy / "missions" / "perenniser.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("id: renew_mobilisation", "id: find_funding"), encoding="utf-8"
    )
    assert main(["--content", str(content_copy), "check"]) == 2
    error = capsys.readouterr().err
    assert "perenniser.yml" in error and "find_funding" in error


def test_build_then_search_prints_ranked_missions(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    assert main(["--database-url", url, "build"]) == 0
    assert main(["--database-url", url, "build", "--if-changed"]) == 0
    assert "déjà à jour" in capsys.readouterr().out
    assert main(["--database-url", url, "search", "les élus se méfient"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("1. Rassurer et mettre en confiance")
    assert main(["--database-url", url, "suggest", "personne ne veut piloter"]) == 0
    assert "Identifier un chef de file" in capsys.readouterr().out
    assert main(["--database-url", url, "show", "mission_fantome"]) == 1


def test_search_on_unbuilt_database_explains_what_to_do(tmp_path, capsys):
    assert main(["--database-url", f"sqlite:///{tmp_path / 'vide.sqlite3'}", "search", "chef de file"]) == 3
    assert "python -m bot.kb build" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["inconnue"]])
def test_bad_usage_exits_with_usage_error(argv):
    with pytest.raises(SystemExit) as error:
        main(argv)
    assert error.value.code == 2
