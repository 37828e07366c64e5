"""The knowledge-gap report on a generated log of 10,000 conversations (SQLite, the default).

    .venv/bin/python -m bench.gaps [--conversations N] [--repeat N]

The log comes from bench/synthetic.py (the one bench/review.py measures the console on),
indexed as the web server would; 2 % of the bot turns are then annotated « réponse
incomplète », so that the annotation signal is computed too. The report covers the whole
log (the 60 days up to today: 9 or 10 weekly columns) with the knowledge base's vocabulary
(``make kb``). Timed: the report alone (median of ``--repeat`` runs after a first one, which
also fills the stem cache), in wall-clock time and in the process's CPU time (the machine may
be shared: CPU time says what the report costs, wall time what a trainer waits), and the
report rendered as the HTML page.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from sqlalchemy import select

from bench.synthetic import generate
from bot.review import gaps
from bot.review.config import ReviewConfig
from bot.review.console import Console
from bot.review.models import Annotation, Turn
from bot.review.queries import local_zone
from bot.review.store import ReviewStore

DAYS = 60
ANNOTATED_SHARE = 0.02
COMMAND = ".venv/bin/python -m bench.gaps"


def _annotate(store: ReviewStore, share: float, seed: int = 11) -> int:
    """Mark a share of the bot turns « réponse incomplète », in bulk."""
    rng = random.Random(seed)
    with store.session() as session:
        turns = session.execute(select(Turn.event_id, Turn.conversation_id).where(Turn.kind == "bot")).all()
        chosen = rng.sample(turns, int(len(turns) * share))
        now = time.time()
        session.execute(
            Annotation.__table__.insert(),
            [
                {
                    "turn_event_id": event_id,
                    "conversation_id": conversation_id,
                    "state": "to_review",
                    "reason": "incomplete",
                    "comment": "",
                    "author": "bench",
                    "updated_at": now,
                }
                for event_id, conversation_id in chosen
            ],
        )
        session.commit()
    return len(chosen)


def _vocabulary() -> gaps.Vocabulary:
    try:
        return gaps.read_vocabulary()
    except Exception as error:  # noqa: BLE001 - measured without, and said so
        print(f"(base de connaissances illisible, rapport sans vocabulaire : {error})")
        return gaps.Vocabulary()


def _median_ms(function: Callable[[], object], repeat: int) -> Tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``repeat`` calls."""
    wall: List[float] = []
    cpu: List[float] = []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def gap_report_bench(conversations: int = 10_000, repeat: int = 5) -> Dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="bench-gaps-"))
    store = ReviewStore(f"sqlite:///{folder / 'tracker.sqlite3'}")
    try:
        generate(store.engine, conversations, days=DAYS)
        store.refresh()
        annotated = _annotate(store, ANNOTATED_SHARE)
        vocabulary = _vocabulary()
        today = datetime.now(local_zone()).date()
        criteria = gaps.GapCriteria(today - timedelta(days=DAYS), today)

        def report() -> gaps.GapReport:
            with store.session() as session:
                return gaps.gap_report(session, criteria, vocabulary)

        started = time.perf_counter()
        result = report()
        first = (time.perf_counter() - started) * 1000
        console = Console(ReviewConfig(database_url=str(store.engine.url), secret="x" * 32), store)

        def page() -> None:
            console.page("gaps.html", trainer=None, report=report(), errors=[], signals=gaps.SIGNALS,
                         other_theme=gaps.OTHER_THEME, examples=gaps.EXAMPLES)  # fmt: skip

        return {
            "conversations": conversations,
            "annotated": annotated,
            "user_messages": result.user_messages,
            "gap_messages": result.gap_messages,
            "themes": len(result.missions) + len(result.unmatched),
            "weeks": len(result.weeks),
            "vocabulary": len(vocabulary),
            "first": first,
            "report": _median_ms(report, repeat),
            "page": _median_ms(page, repeat)[0],
            "repeat": repeat,
        }
    finally:
        store.dispose()


def render(results: Dict[str, object]) -> List[str]:
    def number(value: object) -> str:
        return f"{value:,}".replace(",", "\u202f")

    return [
        f"Rapport de lacunes sur {number(results['conversations'])} conversations générées (SQLite, "
        f"{results['weeks']} semaines, {number(results['user_messages'])} messages d'utilisateurs dont "
        f"{number(results['gap_messages'])} mal traités, {results['themes']} thèmes, "
        f"{number(results['annotated'])} tours annotés, vocabulaire de {results['vocabulary']} termes) : "
        f"**{results['report'][0]:.0f} ms** (médiane de {results['repeat']} passages, dont "
        f"{results['report'][1]:.0f} ms de calcul ; premier passage {results['first']:.0f} ms ; "
        f"page HTML comprise {results['page']:.0f} ms) — `{COMMAND}`",
    ]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gaps")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print("\n".join(render(gap_report_bench(args.conversations, args.repeat))))


if __name__ == "__main__":
    main()
