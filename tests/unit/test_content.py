"""Validation of the YAML content: each kind of bad content is refused, naming file and entry."""

from __future__ import annotations

import re

import pytest

from bot.kb import cli
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


def test_diagnostic_rules_are_read_from_the_content(content):
    rules = content.diagnostic
    assert rules.many_partners == 4 and "{phase}" in rules.phase_reason
    assert [(rule.trigger, rule.mission_id) for rule in rules.rules] == [
        ("imposed", "understand_cooperation_nature"),
        ("imposed", "build_trust"),
        ("voluntary", "build_partnerships"),
        ("many_partners", "grasp_complexity"),
    ]


def test_a_mission_renamed_without_its_diagnostic_rule_is_refused(content_copy):
    # The content editor renames build_trust everywhere in missions/, but not in diagnostic.yml.
    for path in (content_copy / "missions").glob("*.yml"):
        path.write_text(re.sub(r"\bbuild_trust\b", "gain_trust", path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert (error.value.path.name, error.value.entry) == ("diagnostic.yml", "imposed")
    assert error.value.problem.startswith("mission inconnue : 'build_trust'")


def test_check_command_names_the_file_and_the_unknown_diagnostic_mission(content_copy, capsys):
    replace_in(content_copy / "diagnostic.yml", "mission: grasp_complexity", "mission: grasp_complexities")
    assert cli.main(["--content", str(content_copy), "check"]) == 2
    message = capsys.readouterr().err
    assert "diagnostic.yml: many_partners: mission inconnue : 'grasp_complexities'" in message


@pytest.mark.parametrize(
    ("old", "new", "entry", "problem"),
    [
        ("threshold: 4", "threshold: beaucoup", "many_partners", "« threshold »"),
        ("threshold: 4", "threshold: 1", "many_partners", "« threshold »"),
        ("\nvoluntary:", "\nvolontaire:", "volontaire", "clé inconnue"),
        ("se pilote.", "se pilote {nombre}.", "many_partners, grasp_complexity", "accolades"),
        ("où vous vous trouvez.", "où vous vous trouvez {.", "phase_reason", "accolades"),
        ('    reason: "Un « mariage', '    motif: "Un « mariage', "imposed, build_trust", "« reason »"),
        ("  - mission: build_partnerships", "  - mission: ''", "voluntary, entrée n° 1", "« mission »"),
    ],
)
def test_bad_diagnostic_rules_are_refused(content_copy, old, new, entry, problem):
    replace_in(content_copy / "diagnostic.yml", old, new)
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert (error.value.path.name, error.value.entry) == ("diagnostic.yml", entry)
    assert problem in error.value.problem


def test_missing_diagnostic_rules_are_refused(content_copy):
    (content_copy / "diagnostic.yml").unlink()
    with pytest.raises(ContentError) as error:
        load_content(content_copy)
    assert error.value.path.name == "diagnostic.yml" and error.value.problem == "fichier introuvable"


def test_digest_changes_with_the_diagnostic_rules(content_copy, content):
    replace_in(content_copy / "diagnostic.yml", "threshold: 4", "threshold: 5")
    assert load_content(content_copy).digest != content.digest
