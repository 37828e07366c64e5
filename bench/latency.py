"""Latency of the running assistant over REST and of the knowledge-base search.

make run   # in another terminal
.venv/bin/python bench/latency.py [--url http://localhost:5005] [--requests 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.evaluation import send  # noqa: E402
from bot.kb.service import KnowledgeBase  # noqa: E402

REST_MESSAGES = {
    "salutation (réponse statique)": "bonjour",
    "situation (action + recherche)": "les élus doutent de l'intérêt de la coopération",
    "mission (action + base)": "Comment identifier un chef de file ?",
}
SEARCHES = [
    "personne ne veut piloter notre projet",
    "les elus se mefient",
    "Comment favoriser l'interconnaissance ?",
    "on n'a plus de sous",
    "chaque service bosse dans son coin",
    "la coopération nous est imposée par un financement européen",
    "comment valoriser les resultas",
    "gérer un conflit entre deux partenaires",
]


def percentiles(timings):
    timings = sorted(timings)
    return statistics.median(timings), timings[int(len(timings) * 0.95)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--searches", type=int, default=800)
    args = parser.parse_args()
    print("| mesure | médiane | p95 |\n| --- | --- | --- |")
    for label, message in REST_MESSAGES.items():
        timings = []
        for index in range(args.requests):
            start = time.perf_counter()
            send(args.url, f"latence-{uuid.uuid4().hex[:6]}-{index % 5}", message)
            timings.append((time.perf_counter() - start) * 1000)
        print("| REST, {} | {:.0f} ms | {:.0f} ms |".format(label, *percentiles(timings)))
    kb = KnowledgeBase.from_url()
    kb.warm_up()
    timings = []
    for index in range(args.searches):
        start = time.perf_counter()
        kb.find_missions(SEARCHES[index % len(SEARCHES)])
        timings.append((time.perf_counter() - start) * 1000)
    print("| recherche dans la base | {:.2f} ms | {:.2f} ms |".format(*percentiles(timings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
