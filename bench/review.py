"""The review console on a generated log of 10,000 conversations (SQLite, the default):
indexing from Rasa's events, the filtered list, a transcript and the dashboard.

    python -m bench.review [--conversations N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from sqlalchemy import select

from bench.synthetic import generate
from bot.review import dashboard, queries
from bot.review.models import Conversation
from bot.review.queries import ConversationFilter
from bot.review.store import ReviewStore

FILTERS = {
    "liste sans filtre": ConversationFilter(),
    "confiance < 0,5": ConversationFilter(confidence_below=0.5),
    "texte + intention + mission, tri par confiance": ConversationFilter(
        text="chef de file", intent="ask_mission", mission="identify_lead_partner", sort="confidence"
    ),
    "repli + hors périmètre + phase + non annotée": ConversationFilter(
        fallback=True, out_of_scope=True, phase="emergence", annotation="none"
    ),
    "diagnostic abandonné": ConversationFilter(form="abandoned"),
}


def _timed(function: Callable[[], object], repeat: int) -> Tuple[float, float]:
    samples: List[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def review_console(conversations: int = 10_000, repeat: int = 20) -> Dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="bench-review-"))
    store = ReviewStore(f"sqlite:///{folder / 'tracker.sqlite3'}")
    try:
        events = generate(store.engine, conversations)
        started = time.perf_counter()
        store.refresh()
        indexing = time.perf_counter() - started
        results: Dict[str, object] = {"conversations": conversations, "events": events, "indexing": indexing}
        timings = {}
        for name, criteria in FILTERS.items():

            def run(criteria: ConversationFilter = criteria) -> None:
                with store.session() as session:
                    queries.list_conversations(session, criteria)

            timings[f"liste : {name}"] = _timed(run, repeat)
        with store.session() as session:
            pseudonym = session.execute(select(Conversation.pseudonym).limit(1)).scalar_one()

        def transcript() -> None:
            with store.session() as session:
                queries.get_transcript(session, pseudonym)

        def board() -> None:
            today = datetime.now(queries.local_zone()).date()
            with store.session() as session:
                dashboard.dashboard(session, today - timedelta(days=29), today)

        timings["transcription d'une conversation"] = _timed(transcript, repeat)
        timings["tableau de bord, 30 jours"] = _timed(board, max(3, repeat // 4))
        results["timings"] = timings
        return results
    finally:
        store.dispose()


def render(results: Dict[str, object]) -> List[str]:
    def number(value: object) -> str:
        return f"{value:,}".replace(",", "\u202f")

    lines = [
        "",
        f"### Console de revue ({number(results['conversations'])} conversations générées, SQLite)",
        "",
        f"Indexation depuis la table `events` de Rasa ({number(results['events'])} événements) : "
        f"{results['indexing']:.1f} s ; ensuite, l'indexation en arrière-plan (toutes les 30 s) ne lit "
        "que les nouveaux événements "
        "(`python -m bench.review`, aussi dans `make bench`).",
        "",
        "| requête | p50 (ms) | p95 (ms) |",
        "| --- | --- | --- |",
    ]
    for name, (p50, p95) in results["timings"].items():  # type: ignore[union-attr]
        lines.append(f"| {name} | {p50:.1f} | {p95:.1f} |")
    return lines


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.review")
    parser.add_argument("--conversations", type=int, default=10_000)
    args = parser.parse_args(argv)
    print("\n".join(render(review_console(args.conversations))))


if __name__ == "__main__":
    main()
