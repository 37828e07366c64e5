"""Every response and action the Python code names exists in domain.yml, and back."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import yaml
from rasa_sdk import Action

import actions
from tests.conftest import REPO_ROOT

DOMAIN = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSE_NAME = re.compile(r"""response\s*=\s*["'](utter_\w+)["']""")


def action_classes():
    for module_info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"actions.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Action) and cls.__module__ == module.__name__ and not inspect.isabstract(cls):
                yield cls


def test_responses_used_in_actions_exist_in_domain():
    used = set()
    for path in (REPO_ROOT / "actions").glob("*.py"):
        used |= set(RESPONSE_NAME.findall(path.read_text(encoding="utf-8")))
    assert used, "aucune réponse trouvée : l'expression de recherche est à revoir"
    assert used <= set(DOMAIN["responses"]), used - set(DOMAIN["responses"])


def test_every_action_class_is_declared_in_domain_and_back():
    implemented = {cls().name() for cls in action_classes()}
    declared = {name for name in DOMAIN["actions"] if name.startswith(("action_", "validate_"))}
    assert implemented == declared
