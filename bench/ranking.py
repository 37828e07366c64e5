"""The knowledge-base ranking on its own, without Rasa: how often the right mission comes
first, and what a decision costs on questions it has never seen.

    .venv/bin/python -m bench.ranking [--url sqlite:///…]

Accuracy: the cases of the development, held-out and fresh sets that have no context and expect
missions; is the first mission found one of them, is one of the first four? Cost: every
distinct question of those sets, caches cold (first sight of each message), three runs, each
question's median run: p50 / p95 of find_missions and of the advisor's whole decision.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, List, Optional, Sequence, Tuple

from bot import focus
from bot.advisor import SITUATION, Advisor, Turn
from bot.evaluation import SETS, Question, load_questions
from bot.kb.service import KnowledgeBase
from bot.text import stem

RANKED_SETS = ("development", "heldout", "fresh")
RUNS = 3


def accuracy(kb: KnowledgeBase, questions: Sequence[Question]) -> Tuple[int, int, int]:
    """(cases, first right, one of four right)."""
    cases = [question for question in questions if not question.context and question.expect_missions]
    first = any_four = 0
    for question in cases:
        found = [hit.mission.id for hit in kb.find_missions(question.question, limit=4)]
        first += bool(found) and found[0] in question.expect_missions
        any_four += bool(set(found) & set(question.expect_missions))
    return len(cases), first, any_four


def cost(texts: Sequence[str], call: Callable[[str], object]) -> List[float]:
    """Milliseconds of each call, in the order of ``texts``."""
    timings: List[float] = []
    for text in texts:
        start = time.perf_counter()
        call(text)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def cold_cost(
    url: Optional[str], texts: Sequence[str], call: Callable[[KnowledgeBase, str], object]
) -> Tuple[float, float]:
    """p50 / p95 of ``call`` on every text seen for the first time: a new knowledge base and
    the process-wide memos emptied before each of RUNS runs, then each text's median run (the
    machine is noisy; a median of three is steadier than one reading)."""
    runs = []
    for _ in range(RUNS):
        stem.cache_clear()
        focus.forget()
        kb = KnowledgeBase.from_url(url)
        kb.warm_up()
        runs.append(cost(texts, lambda text, kb=kb: call(kb, text)))
    timings = sorted(statistics.median(values) for values in zip(*runs, strict=True))
    return statistics.median(timings), timings[int(round(0.95 * (len(timings) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ranking")
    parser.add_argument("--url", help="base de connaissances (défaut : KB_DATABASE_URL ou var/)")
    args = parser.parse_args()
    questions = [question for name in RANKED_SETS for question in load_questions(SETS[name])]
    texts = list(dict.fromkeys(question.question for question in questions))
    find = cold_cost(args.url, texts, lambda kb, text: kb.find_missions(text))
    decide = cold_cost(args.url, texts, lambda kb, text: Advisor(kb).decide(Turn(SITUATION, text)))
    cases, first, any_four = accuracy(KnowledgeBase.from_url(args.url), questions)
    print("| mesure | valeur |")
    print("| --- | --- |")
    print(f"| première mission juste ({cases} cas sans contexte) | {first / cases:.1%} |")
    print(f"| une des quatre premières justes | {any_four / cases:.1%} |")
    print(f"| find_missions, {len(texts)} questions neuves : p50 / p95 | {find[0]:.2f} / {find[1]:.2f} ms |")
    print(f"| décision du conseiller, mêmes questions : p50 / p95 | {decide[0]:.2f} / {decide[1]:.2f} ms |")


if __name__ == "__main__":
    main()
