"""Cost of each component on its own: knowledge-base search and suggestion, action server
round trip, tracker store write."""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import yaml

from bot.kb.service import KnowledgeBase

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "personne ne veut piloter notre projet",
    "les elus se mefient",
    "Comment favoriser l'interconnaissance ?",
    "on n'a plus de sous",
    "chaque service bosse dans son coin",
    "la coopération nous est imposée par un financement européen",
    "comment valoriser les resultas",
    "gérer un conflit entre deux partenaires",
    "Que faire quand les techniciens et les élus ne se comprennent pas ?",
    "le projet s'essouffle depuis les élections",
]


def p50_p95(timings_ms: List[float]) -> Tuple[float, float]:
    values = sorted(timings_ms)
    return statistics.median(values), values[int(round(0.95 * (len(values) - 1)))]


def timed(function: Callable[[int], object], count: int) -> Tuple[float, float]:
    timings = []
    for index in range(count):
        start = time.perf_counter()
        function(index)
        timings.append((time.perf_counter() - start) * 1000)
    return p50_p95(timings)


def knowledge_base(count: int = 600) -> Dict[str, Tuple[float, float]]:
    kb = KnowledgeBase.from_url()
    kb.warm_up()
    return {
        "recherche dans la base (find_missions)": timed(
            lambda i: kb.find_missions(QUESTIONS[i % len(QUESTIONS)]), count
        ),
        "prochaines étapes (suggest_next_steps)": timed(
            lambda i: kb.suggest_next_steps(QUESTIONS[i % len(QUESTIONS)]), count
        ),
    }


def action_round_trip(action_port: int, count: int = 200) -> Tuple[float, float]:
    """POST /webhook of the running action server, as Rasa calls it."""
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))

    def call(index: int) -> None:
        body = {
            "next_action": "action_suggest_next_steps",
            "sender_id": f"bench-{index}",
            "version": "3.6.21",
            "domain": domain,
            "tracker": {
                "sender_id": f"bench-{index}",
                "slots": {},
                "latest_message": {
                    "text": QUESTIONS[index % len(QUESTIONS)],
                    "intent": {"name": "describe_situation", "confidence": 0.9},
                    "entities": [],
                },
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": "action_listen",
            },
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{action_port}/webhook",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    return timed(call, count)


def tracker_store_write(conversations: int = 20, turns: int = 10) -> Tuple[float, float]:
    """Rasa's SQLTrackerStore on a fresh SQLite file: one save per turn (3 new events)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    async def measure() -> List[float]:
        with tempfile.TemporaryDirectory() as scratch:
            store = SQLTrackerStore(Domain.load(str(REPO / "domain.yml")), dialect="sqlite", db=f"{scratch}/t.db")
            timings = []
            for conversation in range(conversations):
                sender = f"bench-{conversation}"
                for turn in range(turns):
                    tracker = await store.get_or_create_tracker(sender)
                    tracker.update(UserUttered(QUESTIONS[turn % len(QUESTIONS)], {"name": "describe_situation"}))
                    tracker.update(ActionExecuted("action_suggest_next_steps"))
                    tracker.update(BotUttered("Voici les pistes que je vous propose"))
                    start = time.perf_counter()
                    await store.save(tracker)
                    timings.append((time.perf_counter() - start) * 1000)
            return timings

    return p50_p95(asyncio.run(measure()))
