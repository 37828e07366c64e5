"""Reading the diagnostic's answers and building the plan."""

from __future__ import annotations

import pytest

from bot.diagnostic import IMPOSED, VOLUNTARY, build_plan, read_origin, read_partners


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("voulue", VOLUNTARY),
        ("imposee", IMPOSED),
        ("c'est une volonté des élus", VOLUNTARY),
        ("on l'a choisie ensemble", VOLUNTARY),
        ("Imposée par le financeur", IMPOSED),
        ("c'était une condition de l'appel à projets", IMPOSED),
        ("on n'a pas eu le choix", IMPOSED),
        ("banane", None),
        ("", None),
    ],
)
def test_read_origin(text, origin):
    assert read_origin(text) == origin


@pytest.mark.parametrize(
    ("text", "count", "kind"),
    [
        ("trois communes et une association", 3, "commune"),
        ("2 intercommunalités", 2, "interco"),
        ("une dizaine de partenaires", 10, "partenaire"),
        ("le département, la région et des associations", 3, "departement"),
    ],
)
def test_read_partners(text, count, kind):
    partners = read_partners(text)
    assert partners.count == count and kind in partners.kinds


@pytest.mark.parametrize("text", ["", "bof", "je ne sais pas"])
def test_read_partners_refuses_answers_without_partners(text):
    assert read_partners(text) is None


def test_plan_for_an_imposed_cooperation_with_many_partners(kb):
    plan = build_plan(
        kb, "emergence", read_partners("cinq communes et deux associations"), IMPOSED, "les élus se méfient"
    )
    ids = [step.mission.id for step in plan]
    assert 3 <= len(plan) <= 5 and len(set(ids)) == len(ids)
    assert ids[0] == "build_trust"
    assert "understand_cooperation_nature" in ids and "grasp_complexity" in ids
    assert all(step.reason for step in plan)


def test_plan_for_a_voluntary_cooperation_is_completed_by_its_phase(kb):
    plan = build_plan(kb, "implementation", read_partners("deux communes"), VOLUNTARY, "personne ne veut piloter")
    ids = [step.mission.id for step in plan]
    assert ids[0] == "identify_lead_partner"
    assert "build_partnerships" in ids and "grasp_complexity" not in ids
    assert 3 <= len(plan) <= 5
