"""The training data of a candidate model: a copy of data/ with the trainers' sentences added.

Two kinds of sentences come from the annotations of user turns (bot.review.export, the same
selection as « Exporter les corrections (NLU) »):

- a **correction**: the trainer gave an intent other than the one the NLU recorded;
- a **validated sentence** (« phrase validée »): the trainer confirmed the intent the NLU
  recorded. Real sentences of the agents, confirmed, are worth learning as much as fixes.

Both go to ``nlu/corrections.yml`` of the copy. A sentence the trainer filed under one intent
is removed from the examples of any other intent in the copy (otherwise Rasa would learn the
same sentence twice, under two answers, and the correction could lose). The lookup tables
(``nlu/lookups.yml``) are generated again from the current content (``KNOWLEDGE_DIR``), so
content published from the console since the last ``make model`` reaches the NLU too.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.kb.content import DEFAULT_CONTENT_DIR, load_content
from bot.kb.nlu_export import render_nlu_lookups
from bot.review import export
from bot.review.config import REPO_ROOT
from bot.review.models import Annotation, Turn

DATA_DIR = REPO_ROOT / "data"
CORRECTIONS_FILE = Path("nlu") / "corrections.yml"
LOOKUPS_FILE = Path("nlu") / "lookups.yml"
_BLOCK_START = re.compile(r"^\s*-\s*(intent|synonym|regex|lookup):\s*(.*?)\s*$")
_EXAMPLE = re.compile(r"^\s+-\s+(.*?)\s*$")
_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class TrainingSentence:
    """A sentence an agent typed, with the intent a trainer gave it."""

    text: str
    intent: str
    recorded_intent: Optional[str]  # what the NLU said when the agent typed it

    @property
    def validated(self) -> bool:
        return self.recorded_intent == self.intent


def list_training_sentences(session: Session) -> List[TrainingSentence]:
    """The sentences a candidate would learn: corrections first, then validated sentences."""
    examples, _skipped = export.corrected_examples(session)
    recorded: Dict[tuple, Optional[str]] = {}
    rows = session.execute(
        select(Annotation.correct_intent, Turn.text, Turn.intent)
        .join(Turn, Turn.event_id == Annotation.turn_event_id)
        .where(Annotation.correct_intent.isnot(None), Turn.kind == "user")
        .order_by(Turn.event_id)
    ).all()
    for intent, text, recorded_intent in rows:
        # A sentence typed twice and read differently: it counts as corrected if it ever was wrong.
        key = (" ".join(text.split()), intent)
        if recorded.get(key, intent) == intent:
            recorded[key] = recorded_intent
    sentences = [
        TrainingSentence(text, intent, recorded.get((text, intent))) for intent in examples for text in examples[intent]
    ]
    return sorted(sentences, key=lambda sentence: (sentence.validated, sentence.intent, sentence.text))


def write_training_data(
    target: Path,
    sentences: List[TrainingSentence],
    content_dir: Path = DEFAULT_CONTENT_DIR,
    data_dir: Path = DATA_DIR,
) -> None:
    """Copy ``data_dir`` into ``target`` (which must not exist) with the sentences added."""
    shutil.copytree(data_dir, target)
    (target / LOOKUPS_FILE).write_text(render_nlu_lookups(load_content(content_dir)), encoding="utf-8")
    by_intent: Dict[str, List[str]] = {}
    for sentence in sentences:
        by_intent.setdefault(sentence.intent, []).append(sentence.text)
    owner = {sentence.text: sentence.intent for sentence in sentences}
    for path in sorted((target / "nlu").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        kept = drop_examples_of_other_intents(text, owner)
        if kept != text:
            path.write_text(kept, encoding="utf-8")
    (target / CORRECTIONS_FILE).write_text(export.nlu_yaml(by_intent), encoding="utf-8")


def drop_examples_of_other_intents(text: str, owner: Dict[str, str]) -> str:
    """The NLU file without the examples that ``owner`` (sentence → intent) files elsewhere.

    Examples are compared as plain text (entity mark-up removed, spaces collapsed).
    """
    lines = text.splitlines(keepends=True)
    kept, intent = [], None
    for line in lines:
        block = _BLOCK_START.match(line)
        if block:
            intent = block.group(2) if block.group(1) == "intent" else None
        else:
            example = _EXAMPLE.match(line)
            if intent and example:
                plain = " ".join(_MARKUP.sub(r"\1", example.group(1)).split())
                if owner.get(plain, intent) != intent:
                    continue
        kept.append(line)
    return "".join(kept)
