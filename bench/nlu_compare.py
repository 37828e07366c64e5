"""Compares intent classifiers on our NLU data: cross-validated macro-F1, training time and
per-message parsing latency. Results are printed as a Markdown table.

    .venv/bin/python bench/nlu_compare.py [--folds 3] [--messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {
    "régression logistique": REPO / "bench/configs/logistic_regression.yml",
    "DIET": REPO / "bench/configs/diet.yml",
}
SAMPLE = [
    "Comment identifier un chef de file ?",
    "les élus doutent de l'intérêt de la coopération",
    "que faire en phase d'émergence",
    "donne-moi un exemple",
    "bonjour",
    "quel temps fera-t-il demain",
]


def rasa(*args: str) -> None:
    subprocess.run([str(REPO / ".venv/bin/rasa"), *args], cwd=REPO, check=True, capture_output=True)


def macro_f1(report_dir: Path) -> float:
    report = json.loads((report_dir / "intent_report.json").read_text())
    per_intent = {
        name: scores["f1-score"] for name, scores in report.items() if isinstance(scores, dict) and "support" in scores
    }
    weakest = sorted((score, name) for name, score in per_intent.items() if not name.endswith("avg"))[:5]
    print(
        "  intentions les plus faibles : " + ", ".join(f"{name} {score:.2f}" for score, name in weakest),
        file=sys.stderr,
    )
    return report["macro avg"]["f1-score"]


def parse_latency_ms(model: Path, messages: int) -> float:
    import logging

    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parsed message at debug level on stdout: keep the table readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    agent = Agent.load(str(model))
    timings = []
    for index in range(messages):
        start = time.perf_counter()
        asyncio.run(agent.parse_message(SAMPLE[index % len(SAMPLE)]))
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    rows = []
    for name, config in CONFIGS.items():
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            start = time.perf_counter()
            rasa(
                "train",
                "nlu",
                "--config",
                str(config),
                "--nlu",
                "data/nlu",
                "--out",
                str(scratch),
                "--fixed-model-name",
                "nlu",
            )
            training = time.perf_counter() - start
            latency = parse_latency_ms(scratch / "nlu.tar.gz", args.messages)
            rasa(
                "test", "nlu", "--config", str(config), "--nlu", "data/nlu", "--cross-validation",
                "--folds", str(args.folds), "--out", str(scratch / "results"),
            )  # fmt: skip
            rows.append((name, macro_f1(scratch / "results"), training, latency))
            print(f"{name}: fait", file=sys.stderr)
    header = f"macro-F1 (validation croisée, {args.folds} plis)"
    print(f"| classifieur | {header} | entraînement NLU | analyse d'un message (médiane) |")
    print("| --- | --- | --- | --- |")
    for name, f1, training, latency in rows:
        print(f"| {name} | {f1:.3f} | {training:.0f} s | {latency:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
