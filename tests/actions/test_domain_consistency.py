"""Every name the Python code uses exists in domain.yml: the names of bot.names, and the
action, response and intent names written as strings in any package. Every action class is
declared in the domain, and back."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
import yaml
from rasa_sdk import Action

import actions
from bot import names
from tests.conftest import REPO_ROOT

DOMAIN_PATH = REPO_ROOT / "domain.yml"
PACKAGES = ("bot", "actions", "channels", "cluster", "bench")
# A string literal naming an action, a response or a form validation: "action_…", "utter_…",
# "validate_…" (a prefix alone, as in ``startswith("utter_")``, is not a name).
NAME_LITERAL = re.compile(r"""["']((?:action|utter|validate)_[a-z0-9_]+)["']""")
# An intent written in a button payload: "/ask_mission" + json.dumps(…), "payload": "/choose_option".
PAYLOAD_INTENT = re.compile(r"""["']/([a-z_]+)["']\s*\+\s*json\.dumps|["']payload["']\s*:\s*["']/([a-z_]+)""")
# Fields of Rasa's events and keys of its endpoints file, shaped like names but naming nothing
# in the domain.
EVENT_FIELDS = {"action_name", "utter_action", "action_endpoint"}
# Which part of domain.yml each group of bot.names belongs to.
GROUPS = {"slots": names.SLOTS, "entities": names.ENTITIES, "intents": names.INTENTS, "actions": names.ACTIONS}


def domain_names(path: Path = DOMAIN_PATH) -> Dict[str, Set[str]]:
    """The names domain.yml declares, by part; forms count as actions (Rasa runs them)."""
    domain = yaml.safe_load(path.read_text(encoding="utf-8"))
    declared = {
        "slots": set(domain.get("slots") or {}),
        "entities": {entity if isinstance(entity, str) else next(iter(entity)) for entity in domain["entities"]},
        "intents": {intent if isinstance(intent, str) else next(iter(intent)) for intent in domain["intents"]},
        "actions": set(domain.get("actions") or ()) | set(domain.get("forms") or {}),
        "responses": set(domain.get("responses") or {}),
    }
    return declared


def names_module_missing(declared: Dict[str, Set[str]]) -> List[str]:
    """``part: name`` for each name of bot.names that its part of the domain lacks."""
    return [
        f"{part}: {name}"
        for part, group in GROUPS.items()
        for name in group
        if name not in declared[part] and name not in names.RASA_BUILTINS
    ]


def written_names() -> List[Tuple[str, str, str]]:
    """``(file:line, name, part)`` for each name written as a string in a package; ``part``
    is "intents" for a payload's intent, "any" for an action, response or validation."""
    written = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            found = [(match, match.group(1), "any") for match in NAME_LITERAL.finditer(text)]
            found += [(match, match.group(1) or match.group(2), "intents") for match in PAYLOAD_INTENT.finditer(text)]
            for match, name, part in found:
                line = text.count("\n", 0, match.start()) + 1
                written.append((f"{path.relative_to(REPO_ROOT)}:{line}", name, part))
    return written


def literals_missing(declared: Dict[str, Set[str]]) -> List[str]:
    """``file:line: name`` for each name written as a string that the domain lacks."""
    allowed = {"any": set().union(*declared.values()) | names.RASA_BUILTINS | EVENT_FIELDS}
    allowed["intents"] = declared["intents"]
    return [f"{where}: {name}" for where, name, part in written_names() if name not in allowed[part]]


def action_classes():
    for module_info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"actions.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Action) and cls.__module__ == module.__name__ and not inspect.isabstract(cls):
                yield cls


def test_every_name_of_the_names_module_is_in_its_part_of_the_domain():
    assert names_module_missing(domain_names()) == []


def test_every_name_of_the_names_module_is_in_a_group_checked_against_the_domain():
    grouped = set().union(*GROUPS.values()) | names.RASA_BUILTINS
    constants = {
        attribute: value for attribute, value in vars(names).items() if attribute.isupper() and isinstance(value, str)
    }
    assert constants, "aucun nom trouvé dans bot.names"
    assert {attribute for attribute, value in constants.items() if value not in grouped} == set()


def test_the_scan_finds_names_in_every_shape():
    written = {name for _, name, _ in written_names()}
    assert {"action_diagnostic_plan", "utter_diagnostic_step", "validate_diagnostic_form", "ask_mission"} <= written
    assert not any(name.endswith("_") for name in written)


def test_every_action_response_and_payload_intent_written_in_python_is_in_the_domain():
    assert literals_missing(domain_names()) == []


def test_rasa_builtins_are_not_declared_in_the_domain():
    declared = set().union(*domain_names().values())
    assert names.RASA_BUILTINS.isdisjoint(declared)


def renamed_domain(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of domain.yml with one name renamed."""
    text = DOMAIN_PATH.read_text(encoding="utf-8")
    assert old in text, f"{old!r} absent de domain.yml"
    path = tmp_path / "domain.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  current_mission:\n", "  current_mission_id:\n", "slots: current_mission"),
        ("  - out_of_scope\n", "  - off_topic\n", "intents: out_of_scope"),
        ("  - action_diagnostic_plan\n", "  - action_make_plan\n", "actions: action_diagnostic_plan"),
    ],
)
def test_a_name_of_the_names_module_renamed_in_the_domain_only_is_reported(tmp_path, old, new, expected):
    assert expected in names_module_missing(domain_names(renamed_domain(tmp_path, old, new)))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  utter_diagnostic_step:\n", "  utter_plan_step:\n", "actions/diagnostic.py:"),
        ("  - action_diagnostic_plan\n", "  - action_make_plan\n", "actions/diagnostic.py:"),
        ("  - ask_mission\n", "  - ask_about_mission\n", "actions/rendering.py:"),
    ],
)
def test_a_name_written_in_python_renamed_in_the_domain_only_is_reported(tmp_path, old, new, expected):
    missing = literals_missing(domain_names(renamed_domain(tmp_path, old, new)))
    name = old.strip(" -:\n")
    assert any(entry.startswith(expected) and entry.endswith(f": {name}") for entry in missing), missing


def test_every_action_class_is_declared_in_domain_and_back():
    implemented = {cls().name() for cls in action_classes()}
    declared = {name for name in domain_names()["actions"] if name.startswith(("action_", "validate_"))}
    assert implemented == declared


def test_the_act_of_each_intent_is_the_act_of_the_action_its_rule_runs():
    """actions.base.INTENT_ACTS (the NLU's second reading) must read an intent as the action
    that data/rules runs for it does."""
    from actions.base import INTENT_ACTS

    ruled = {}
    for path in sorted((REPO_ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", []):
            steps = rule.get("steps", [])
            if rule.get("condition") is None and len(steps) == 2 and "intent" in steps[0] and "action" in steps[1]:
                ruled.setdefault(steps[0]["intent"], steps[1]["action"])
    acts = {cls().name(): getattr(cls, "act", None) for cls in action_classes()}
    assert {intent: acts.get(ruled.get(intent)) for intent in INTENT_ACTS} == INTENT_ACTS
