"""Evaluation of the running assistant on French questions it was not trained on.

Each question is sent over the REST channel (after its context messages, in the same
conversation); it passes when the reply names one of the expected missions (by title) and/or
contains one of the expected markers, compared without accents or case.

    python -m bot.evaluation --url http://localhost:5005 [--min-score 0.9]
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

import yaml

from bot.kb.content import DEFAULT_CONTENT_DIR, load_content
from bot.text import fold

QUESTIONS_PATH = Path(__file__).resolve().parents[1] / "tests" / "evaluation" / "questions.yml"


@dataclass(frozen=True)
class Question:
    id: int
    category: str
    question: str
    context: Sequence[str] = ()
    expect_missions: Sequence[str] = ()
    expect_text: Sequence[str] = ()


@dataclass
class Outcome:
    question: Question
    passed: bool
    reply: str = ""
    error: str = ""


@dataclass
class Report:
    outcomes: List[Outcome] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(outcome.passed for outcome in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def by_category(self) -> Dict[str, List[Outcome]]:
        groups: Dict[str, List[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[outcome.question.category].append(outcome)
        return dict(sorted(groups.items()))

    def table(self) -> str:
        lines = ["| catégorie | réussies | total | score |", "| --- | --- | --- | --- |"]
        for category, outcomes in self.by_category().items():
            passed = sum(outcome.passed for outcome in outcomes)
            lines.append(f"| {category} | {passed} | {len(outcomes)} | {passed / len(outcomes):.0%} |")
        passed = sum(outcome.passed for outcome in self.outcomes)
        lines.append(f"| **total** | {passed} | {len(self.outcomes)} | **{self.score:.1%}** |")
        return "\n".join(lines)


def load_questions(path: Path = QUESTIONS_PATH) -> List[Question]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Question(
            id=entry["id"],
            category=entry["category"],
            question=entry["question"],
            context=tuple(entry.get("context") or ()),
            expect_missions=tuple(entry.get("expect_missions") or ()),
            expect_text=tuple(entry.get("expect_text") or ()),
        )
        for entry in entries
    ]


def judge(question: Question, reply: str, titles: Dict[str, str]) -> bool:
    """Whether a reply answers the question: names an expected mission and/or a marker."""
    folded = fold(reply)
    checks = []
    if question.expect_missions:
        checks.append(any(fold(titles[mission_id]) in folded for mission_id in question.expect_missions))
    if question.expect_text:
        checks.append(any(fold(marker) in folded for marker in question.expect_text))
    return bool(checks) and all(checks)


def post_message(url: str, sender: str, message: str, timeout: float = 30.0) -> List[dict]:
    """The replies of Rasa's REST channel at ``url`` to one message."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def send(url: str, sender: str, message: str, timeout: float = 30.0) -> str:
    """The text of the replies to one message, one reply per line."""
    return "\n".join(reply.get("text", "") for reply in post_message(url, sender, message, timeout))


def evaluate(url: str, questions: Sequence[Question], titles: Dict[str, str]) -> Report:
    report = Report()
    run = uuid.uuid4().hex[:8]
    for question in questions:
        sender = f"evaluation-{run}-{question.id}"
        try:
            for message in question.context:
                send(url, sender, message)
            reply = send(url, sender, question.question)
            report.outcomes.append(Outcome(question, judge(question, reply, titles), reply))
        except (OSError, ValueError) as error:
            report.outcomes.append(Outcome(question, False, error=str(error)))
    return report


def mission_titles() -> Dict[str, str]:
    return {mission.id: mission.title for mission in load_content(DEFAULT_CONTENT_DIR).missions}


def main(argv: Sequence[str] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluation", description="Évalue l'assistant en marche.")
    parser.add_argument("--url", default="http://localhost:5005", help="adresse du serveur Rasa")
    parser.add_argument("--min-score", type=float, default=0.9, help="score minimal attendu (0 à 1)")
    parser.add_argument("--failures", action="store_true", help="affiche les questions manquées")
    args = parser.parse_args(argv)
    try:
        send(args.url, f"evaluation-ping-{uuid.uuid4().hex[:8]}", "bonjour", timeout=10)
    except (OSError, urllib.error.URLError) as error:
        print(f"L'assistant ne répond pas sur {args.url} ({error}) : lancez d'abord « make run ».", file=sys.stderr)
        return 2
    report = evaluate(args.url, load_questions(), mission_titles())
    print(report.table())
    if args.failures:
        for outcome in report.outcomes:
            if not outcome.passed:
                print(f"\n#{outcome.question.id} [{outcome.question.category}] {outcome.question.question}")
                print("  attendu :", list(outcome.question.expect_missions) or list(outcome.question.expect_text))
                print("  réponse :", (outcome.error or outcome.reply)[:300].replace("\n", " / "))
    return 0 if report.score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
