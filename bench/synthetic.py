"""A generated conversation log in Rasa's events table, shaped like the real one.

Used by ``make bench`` (bench/review.py) and tests/review/test_queries.py to measure the
console on 10,000 conversations without running the assistant 10,000 times. The event
bodies follow what Rasa 3.6 writes (user events with ``parse_data``, actions, bot utterances
with buttons, slots, forms).
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple

from sqlalchemy.engine import Engine

from bot.review.models import EVENTS

# (user text, intent, confidence range, entities, action, bot text, slots set by the action)
Exchange = Tuple[str, str, Tuple[float, float], List[Dict[str, Any]], str, str, Dict[str, Any]]

EXCHANGES: Dict[str, Exchange] = {
    "greet": ("Bonjour", "greet", (0.9, 1.0), [], "utter_greet", "Bonjour ! Je suis l'assistant.", {}),
    "lead": (
        "Comment identifier un chef de file ?",
        "ask_mission",
        (0.7, 0.99),
        [{"entity": "theme", "value": "chef de file", "start": 20, "end": 33}],
        "action_explain_mission",
        "**Identifier un chef de file** : le partenaire qui pilote au nom de tous.",
        {"current_mission": "identify_lead_partner"},
    ),
    "conflict": (
        "Deux partenaires sont en conflit, que faire ?",
        "describe_situation",
        (0.55, 0.95),
        [],
        "action_suggest_next_steps",
        "Voici des pistes pour votre situation :",
        {"last_missions": ["manage_conflicts", "build_trust"], "current_mission": "manage_conflicts"},
    ),
    "unclear": (
        "Qui doit piloter notre projet ?",
        "nlu_fallback",
        (0.2, 0.3),
        [],
        "action_clarify",
        "Je ne suis pas sûr d'avoir compris. Vouliez-vous parler de l'une de ces missions ?",
        {"last_missions": ["identify_lead_partner", "lead_project", "build_governance"]},
    ),
    "weather": (
        "Quel temps fera-t-il demain ?",
        "out_of_scope",
        (0.3, 0.9),
        [],
        "action_out_of_scope",
        "Cette question sort de mon domaine.",
        {},
    ),
    "phase": (
        "C'est quoi la phase d'émergence ?",
        "ask_phase",
        (0.6, 0.99),
        [{"entity": "phase", "value": "emergence", "start": 20, "end": 29}],
        "action_explain_phase",
        "**Phase d'émergence** : on monte le projet avec les partenaires.",
        {"phase": "emergence", "last_missions": ["find_common_stakes", "build_governance"]},
    ),
    "why": ("Pourquoi ?", "ask_why", (0.8, 1.0), [], "action_explain_why", "Parce que cela évite les blocages.", {}),
    "thanks": ("Merci beaucoup", "thank", (0.85, 1.0), [], "utter_thank", "Avec plaisir !", {}),
}
DIAGNOSTIC = [
    ("je veux faire un diagnostic", "start_diagnostic", {}),
    ("émergence", "affirm", {"diag_phase": "emergence"}),
    ("trois communes", "inform_partners", {"diag_partners": "trois communes"}),
    ("imposée", "inform_origin", {"diag_origin": "imposee"}),
    ("on n'arrive pas à se mettre d'accord", "describe_situation", {"diag_difficulty": "désaccord"}),
]


class _Writer:
    def __init__(self, sender: str, start: float, channel: str) -> None:
        self.sender, self.time, self.channel = sender, start, channel
        self.rows: List[Dict[str, Any]] = []

    def add(self, type_name: str, data: Dict[str, Any], intent: Optional[str] = None, action: Optional[str] = None):
        self.time += 0.01
        data = {"event": type_name, "timestamp": self.time, **data}
        self.rows.append(
            {
                "sender_id": self.sender,
                "type_name": type_name,
                "timestamp": self.time,
                "intent_name": intent,
                "action_name": action,
                "data": json.dumps(data, ensure_ascii=False),
            }
        )

    def user(self, text: str, intent: str, confidence: float, entities: List[Dict[str, Any]]) -> None:
        parse = {"intent": {"name": intent, "confidence": confidence}, "entities": entities, "text": text}
        self.add("user", {"text": text, "parse_data": parse, "input_channel": self.channel}, intent=intent)

    def action(self, name: str) -> None:
        self.add("action", {"name": name, "policy": "RulePolicy", "confidence": 1.0}, action=name)

    def bot(self, text: str, response: Optional[str] = None, buttons: Optional[List[str]] = None) -> None:
        data = {"buttons": [{"title": title, "payload": "/choose_option"} for title in buttons or []]}
        self.add("bot", {"text": text, "data": data, "metadata": {"utter_action": response}})

    def slot(self, name: str, value: Any) -> None:
        self.add("slot", {"name": name, "value": value})


def conversation_events(rng: random.Random, start: float) -> List[Dict[str, Any]]:
    """Rows of one generated conversation starting at ``start`` (seconds since the epoch)."""
    writer = _Writer(uuid.UUID(int=rng.getrandbits(128)).hex, start, rng.choice(["rest", "socketio"]))
    writer.action("action_session_start")
    writer.add("session_started", {})
    writer.action("action_listen")
    names = list(EXCHANGES)
    for index in range(rng.randint(2, 7)):
        writer.time += rng.uniform(10, 120)
        if index == 1 and rng.random() < 0.15:
            _diagnostic(writer, rng, complete=rng.random() < 0.6)
            continue
        text, intent, (low, high), entities, action, reply, slots = EXCHANGES[rng.choice(names)]
        writer.user(text, intent, round(rng.uniform(low, high), 3), entities)
        writer.action(action)
        writer.bot(reply, response=action if action.startswith("utter_") else None, buttons=list(slots)[:1])
        for name, value in slots.items():
            writer.slot(name, value)
        writer.action("action_listen")
    return writer.rows


def _diagnostic(writer: _Writer, rng: random.Random, complete: bool) -> None:
    steps = DIAGNOSTIC if complete else DIAGNOSTIC[: rng.randint(2, 4)]
    for position, (text, intent, slots) in enumerate(steps):
        writer.user(text, intent, round(rng.uniform(0.4, 1.0), 3), [])
        for name, value in slots.items():
            writer.slot(name, value)
        writer.action("diagnostic_form")
        if position == 0:
            writer.add("active_loop", {"name": "diagnostic_form"})
        if position < len(DIAGNOSTIC) - 1:
            writer.bot(f"{position + 1}/4 — question suivante")
            writer.action("action_listen")
    if complete:
        writer.add("active_loop", {"name": None})
        writer.action("action_diagnostic_plan")
        writer.bot("Voici un plan en 3 étapes pour votre coopération :")
        writer.slot("last_missions", ["manage_conflicts", "find_common_stakes", "build_trust"])
        writer.action("action_listen")
    else:
        writer.user("annuler", "cancel", 0.95, [])
        writer.action("action_deactivate_loop")
        writer.add("active_loop", {"name": None})
        writer.action("utter_diagnostic_cancelled")
        writer.bot("Diagnostic annulé.", response="utter_diagnostic_cancelled")
        writer.action("action_listen")


def generate(engine: Engine, conversations: int, days: int = 60, seed: int = 7, now: float = 0.0) -> int:
    """Write ``conversations`` generated conversations over the last ``days`` days; returns
    the number of events written."""
    import time

    rng = random.Random(seed)
    now = now or time.time()
    EVENTS.metadata.create_all(engine)
    written = 0
    with engine.begin() as connection:
        batch: List[Dict[str, Any]] = []
        for rows in _conversations(rng, conversations, now - days * 86400, now):
            batch.extend(rows)
            if len(batch) >= 20000:
                connection.execute(EVENTS.insert(), batch)
                written += len(batch)
                batch = []
        if batch:
            connection.execute(EVENTS.insert(), batch)
            written += len(batch)
    return written


def _conversations(rng: random.Random, count: int, first: float, last: float) -> Iterator[List[Dict[str, Any]]]:
    starts = sorted(rng.uniform(first, last - 3600) for _ in range(count))
    for start in starts:
        yield conversation_events(rng, start)
