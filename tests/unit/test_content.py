"""Validation of the YAML content: each kind of bad content is refused, naming file and entry."""

from __future__ import annotations

import pytest

from bot.kb.content import ContentError, load_content


def replace_in(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} absent de {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_real_content_is_valid_and_complete(content):
    assert [phase.id for phase in content.phases] == [
        "prerequisites",
        "emergence",
        "implementation",
        "sustainability",
        "transversal",
    ]
    assert len(content.missions) >= 35
    for mission in content.missions:
        assert 3 <= len(mission.how) <= 6, mission.id
        assert mission.pitfalls and mission.situations and mission.related and mission.next_id, mission.id


def test_yaml_syntax_error_names_file_and_line(content_copy):
    path = content_copy / "missions" / "emergence.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [non fermé\n", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert error.value.path.name == "emergence.yml"
    assert error.value.entry.startswith("ligne ")


def test_missing_field_names_mission(content_copy):
    path = content_copy / "missions" / "perenniser.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    why:", text.index("id: renew_mobilisation"))
    end = text.index("\n    how:", start)
    path.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert (error.value.path.name, error.value.entry) == ("perenniser.yml", "renew_mobilisation")
    assert "why" in error.value.problem


def test_unknown_phase_is_refused(content_copy):
    replace_in(content_copy / "missions" / "perenniser.yml", "phase: sustainability", "phase: durabilite")
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert error.value.path.name == "perenniser.yml"
    assert "durabilite" in error.value.problem


def test_unknown_mission_reference_is_refused(content_copy):
    path = content_copy / "missions" / "perenniser.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    next:", text.index("id: transfer_expertise"))
    end = text.index("\n", start)
    path.write_text(text[:start] + "    next: mission_fantome" + text[end:], encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert error.value.entry == "transfer_expertise"
    assert "mission_fantome" in error.value.problem


def test_duplicate_mission_id_is_refused(content_copy):
    replace_in(content_copy / "missions" / "perenniser.yml", "id: renew_mobilisation", "id: find_funding")
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert error.value.entry == "find_funding"
    assert "double" in error.value.problem


def test_too_few_how_to_steps_is_refused(content_copy):
    path = content_copy / "missions" / "perenniser.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    how:", text.index("id: transfer_expertise"))
    end = text.index("\n    pitfalls:", start)
    path.write_text(text[:start] + "    how:\n      - Une seule étape." + text[end:], encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert error.value.entry == "transfer_expertise"


def test_digest_changes_with_content(content_copy, content):
    replace_in(content_copy / "missions" / "perenniser.yml", "Transférer l'expertise", "Transmettre l'expertise")
    assert load_content(content_copy).digest != content.digest
