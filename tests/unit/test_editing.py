"""Edits of one mission or of the synonyms written back into the YAML (bot.kb.editing): the rest
of the file byte for byte, the loader's validation on the field, in French."""

from __future__ import annotations

import difflib
import os
import stat

import pytest

from bot.kb import editing
from bot.kb.content import load_content

MISSION_ID = "share_diagnostics"


def changed_lines(before: str, after: str):
    """The lines removed and added between two texts (as ``git diff`` lists them)."""
    removed, added = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:])
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:])
    return removed, added


def edit(content_copy, **fields):
    """The file's text after the form's fields (the others as shown) are applied to the mission."""
    found = editing.find_mission(content_copy, MISSION_ID)
    form = editing.mission_form(found.document)
    form.update(fields)
    draft = editing.mission_from_form(found.document, form)
    return found, draft, editing.mission_file_text(found.path, MISSION_ID, draft)


def test_every_content_file_of_missions_and_synonyms_round_trips_byte_identical(content_copy):
    yaml = editing.round_trip_yaml()
    for path in [content_copy / editing.SYNONYMS_FILE, *sorted((content_copy / "missions").glob("*.yml"))]:
        text = path.read_text(encoding="utf-8")
        assert editing._dump(yaml, yaml.load(text)) == text, path.name


def test_unchanged_form_leaves_the_file_byte_identical(content_copy):
    found, draft, text = edit(content_copy)
    assert draft == found.document
    assert text == found.path.read_text(encoding="utf-8")


def test_spacing_only_changes_leave_the_file_byte_identical(content_copy):
    found = editing.find_mission(content_copy, MISSION_ID)
    form = editing.mission_form(found.document)
    form = {name: "  " + value.replace(" ", "  ") + "\r\n" for name, value in form.items()}
    draft = editing.mission_from_form(found.document, form)
    assert editing.mission_file_text(found.path, MISSION_ID, draft) == found.path.read_text(encoding="utf-8")


def test_added_situation_is_the_only_line_that_changes(content_copy):
    found = editing.find_mission(content_copy, MISSION_ID)
    situations = editing.mission_form(found.document)["situations"] + "\nles maires boudent la salle des fêtes"
    _found, _draft, text = edit(content_copy, situations=situations)
    removed, added = changed_lines(found.path.read_text(encoding="utf-8"), text)
    assert removed == []
    assert added == ["      - les maires boudent la salle des fêtes"]


def test_an_officers_question_added_on_the_form_reaches_the_loaded_content(content_copy):
    found = editing.find_mission(content_copy, MISSION_ID)
    question = "chaque commune garde ses chiffres pour elle, comment on les met sur la table ensemble ?"
    questions = editing.mission_form(found.document)["questions"] + "\n" + question
    _found, draft, text = edit(content_copy, questions=questions)
    content = editing.validate(content_copy, found.path, text, MISSION_ID)
    mission = next(mission for mission in content.missions if mission.id == MISSION_ID)
    assert draft["questions"][-1] == question and mission.questions[-1] == question


def test_changed_title_and_step_rewrite_only_their_lines_keeping_comments_of_the_file(content_copy):
    found = editing.find_mission(content_copy, MISSION_ID)
    path = found.path
    path.write_text("# Commentaire d'en-tête gardé\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    steps = editing.mission_form(found.document)["how"].split("\n")
    steps[1] = "Organiser un atelier : chacun présente son territoire"
    _found, _draft, text = edit(content_copy, title="Partager les diagnostics", how="\n".join(steps))
    removed, added = changed_lines(path.read_text(encoding="utf-8"), text)
    assert len(removed) == 2 and len(added) == 2
    assert "    title: Partager les diagnostics" in added
    assert "      - 'Organiser un atelier : chacun présente son territoire'" in added
    assert text.startswith("# Commentaire d'en-tête gardé\n")


def test_changed_folded_text_stays_a_folded_block_and_reads_back_as_typed(content_copy):
    why = "Un nouveau pourquoi, " + "assez long pour être replié sur plusieurs lignes, " * 4 + "fin."
    found, _draft, text = edit(content_copy, why=why)
    assert "    why: >\n      Un nouveau pourquoi," in text
    block = text.split("    why: >\n", 1)[1].split("\n    how:", 1)[0].splitlines()
    assert len(block) > 1 and all(len(line) <= editing.FOLD_WIDTH + 6 for line in block)
    found.path.write_text(text, encoding="utf-8")
    mission = next(m for m in load_content(content_copy).missions if m.id == MISSION_ID)
    assert mission.why == " ".join(why.split())


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("title", "   ", "Champ « Titre affiché » manquant ou vide."),
        ("summary", "", "Champ « Description » manquant ou vide."),
        ("how", "Une seule étape", "« Étapes (comment faire) » doit compter de 3 à 6 étapes."),
        ("keywords", "\n \n", "Champ « Mots-clés » : une liste non vide est attendue."),
        ("situations", "", "Champ « Situations (dans les mots d'un agent) » : une liste non vide est attendue."),
    ],
)
def test_invalid_field_is_refused_by_the_loader_on_that_field_in_french(content_copy, field, value, expected):
    found, _draft, text = edit(content_copy, **{field: value})
    with pytest.raises(editing.EditError) as refused:
        editing.validate(content_copy, found.path, text, MISSION_ID)
    assert refused.value.field == field
    assert refused.value.message == expected


def test_validation_never_touches_the_real_files(content_copy):
    before = {path: path.read_bytes() for path in content_copy.rglob("*.yml")}
    found, _draft, text = edit(content_copy, title="Nouveau titre")
    content = editing.validate(content_copy, found.path, text, MISSION_ID)
    assert next(m for m in content.missions if m.id == MISSION_ID).title == "Nouveau titre"
    assert {path: path.read_bytes() for path in content_copy.rglob("*.yml")} == before


def test_synonyms_form_round_trips_and_keeps_the_file_comments(content_copy):
    path = content_copy / editing.SYNONYMS_FILE
    synonyms = editing.read_synonyms(content_copy)
    text = editing.synonyms_form(synonyms)
    assert editing.synonyms_from_form(text) == synonyms
    edited = editing.synonyms_from_form(text.replace("thune : financements\n", "") + "\nça coince : conflits ; blocage")
    written = editing.synonyms_file_text(path, edited)
    removed, added = changed_lines(path.read_text(encoding="utf-8"), written)
    assert removed == ["thune: financements"]
    assert added == ["ça coince:", "  - conflits", "  - blocage"]
    assert written.startswith("# Mots et expressions des agents")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("pilote : chef de file\nsans deux points", "Ligne 2 : écrivez « expression : sens »"),
        ("pilote : chef de file\n : financements", "Ligne 2 : écrivez « expression : sens »"),
        ("pilote : chef de file\n\nPilote : autre", "Ligne 3 : l'expression « Pilote » figure déjà ligne 1."),
    ],
)
def test_bad_synonym_line_is_refused_naming_the_line(text, expected):
    with pytest.raises(editing.EditError) as refused:
        editing.synonyms_from_form(text)
    assert refused.value.field == "synonyms"
    assert refused.value.message.startswith(expected)


def test_atomic_write_keeps_the_mode_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "missions.yml"
    path.write_text("ancien\n", encoding="utf-8")
    os.chmod(path, 0o640)
    editing.write_atomically(path, "nouveau\n")
    assert path.read_text(encoding="utf-8") == "nouveau\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [entry.name for entry in tmp_path.iterdir()] == ["missions.yml"]


def test_diff_marks_added_and_removed_lines_of_the_mission():
    before = {"id": "m", "title": "Ancien titre", "keywords": ["a", "b"]}
    after = {"id": "m", "title": "Nouveau titre", "keywords": ["a", "b", "c"]}
    lines = editing.diff_lines(before, after)
    assert [line.text for line in lines if line.kind == "remove"] == ["title: Ancien titre"]
    assert [line.text for line in lines if line.kind == "add"] == ["title: Nouveau titre", "  - c"]
    assert editing.diff_lines(before, before) == []
