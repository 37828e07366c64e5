"""Exports that bring the trainers' findings back into the project.

- ``nlu_yaml``: the user messages whose correct intent a trainer gave, as Rasa NLU training
  data ready to merge into ``data/nlu/``.
- ``story_yaml``: a conversation as a Rasa test story (``rasa test core``), so a finding
  becomes a regression test; the intents are the trainers' corrected ones where they gave one.
- ``csv_text``: the filtered list of conversations, for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.names import REQUESTED_SLOT
from bot.review.models import Annotation, Turn
from bot.review.queries import FORM_STATES, ConversationRow, Transcript, local_zone

# "[text](entity)" and "[text]{...}" are Rasa's entity annotations: a user message that looks
# like one would be read as an annotation, so it is left out of the export.
ANNOTATION_LIKE = re.compile(r"\[[^\]]*\][({]")
EXCLUDED_STATES = {"wont_fix"}
SILENT_SLOTS = {REQUESTED_SLOT}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def corrected_examples(session: Session) -> Tuple[Dict[str, List[str]], List[str]]:
    """Intent → example texts from annotated user turns, and the texts that had to be left out."""
    rows = session.execute(
        select(Annotation.correct_intent, Turn.text)
        .join(Turn, Turn.event_id == Annotation.turn_event_id)
        .where(Annotation.correct_intent.isnot(None), Annotation.state.notin_(EXCLUDED_STATES), Turn.kind == "user")
        .order_by(Annotation.correct_intent, Turn.event_id)
    ).all()
    examples: Dict[str, List[str]] = {}
    skipped: List[str] = []
    for intent, text in rows:
        text = _one_line(text)
        if not text or text.startswith("/") or ANNOTATION_LIKE.search(text):
            skipped.append(text)
            continue
        if text not in examples.setdefault(intent, []):
            examples[intent].append(text)
    return examples, skipped


def nlu_yaml(examples: Dict[str, List[str]], exported_at: Optional[datetime] = None) -> str:
    stamp = (exported_at or datetime.now(local_zone())).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"# Exemples corrigés dans la console de revue, exportés le {stamp}.",
        "# À relire, puis à fusionner dans data/nlu/ avant de réentraîner (make model).",
        'version: "3.1"',
        "nlu:" if examples else "nlu: []",
    ]
    for intent in sorted(examples):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in examples[intent]]
    return "\n".join(lines) + "\n"


def _annotated_text(text: str, entities: Iterable[Dict]) -> str:
    """The message with its entities marked up the way Rasa's training data writes them."""
    spans = sorted(
        (entity for entity in entities if isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int)),
        key=lambda entity: entity["start"],
    )
    result, position = [], 0
    for entity in spans:
        start, end = entity["start"], entity["end"]
        if start < position or end > len(text) or start >= end:
            continue
        surface = text[start:end]
        result.append(text[position:start])
        if entity.get("value") == surface:
            result.append(f"[{surface}]({entity['entity']})")
        else:
            label = json.dumps({"entity": entity["entity"], "value": entity.get("value")}, ensure_ascii=False)
            result.append(f"[{surface}]{label}")
        position = end
    result.append(text[position:])
    return "".join(result)


def _yaml_value(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def story_yaml(transcript: Transcript) -> str:
    """The conversation as a Rasa test story, corrected intents included."""
    pseudonym = transcript.conversation.pseudonym
    lines = [
        f"# Conversation {pseudonym} exportée de la console de revue comme test de non-régression.",
        "# Les intentions corrigées par les formateurs remplacent celles prédites ; vérifiez les",
        "# actions qui suivent une correction avant d'ajouter ce fichier à tests/stories/.",
        'version: "3.1"',
        "stories:",
        f"- story: revue {pseudonym}",
        "  steps:",
    ]
    form_open = False
    for turn in transcript.turns:
        if turn.kind == "user":
            intent = (turn.annotation.correct_intent if turn.annotation else None) or turn.intent
            if not intent:
                continue
            text = _one_line(turn.text)
            if text.startswith("/"):
                lines += [f"  - intent: {intent}"]
                if turn.entities:
                    lines += ["    entities:"]
                    lines += [f"    - {entity['entity']}: {_yaml_value(entity['value'])}" for entity in turn.entities]
            else:
                same_intent = intent == turn.intent
                marked = _annotated_text(text, turn.entities) if same_intent else text
                lines += ["  - user: |", f"      {marked}", f"    intent: {intent}"]
        elif turn.action:
            lines.append(f"  - action: {turn.action}")
        slots = {name: value for name, value in turn.slots.items() if name not in SILENT_SLOTS}
        if turn.form:
            form_open = True
            lines.append(f"  - active_loop: {turn.form}")
        if slots:
            lines.append("  - slot_was_set:")
            lines += [f"    - {name}: {_yaml_value(value)}" for name, value in slots.items()]
        if turn.form == "" and form_open:
            form_open = False
            lines.append("  - active_loop: null")
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "conversation",
    "debut",
    "derniere_activite",
    "canal",
    "messages",
    "confiance_min",
    "repli",
    "hors_perimetre",
    "formulaire",
    "annotations",
    "premier_message",
)


def csv_text(rows: Iterable[ConversationRow]) -> str:
    """Semicolon-separated, with a byte-order mark: what a French spreadsheet opens as is."""
    zone = local_zone()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.pseudonym,
                datetime.fromtimestamp(row.started_at, zone).strftime("%Y-%m-%d %H:%M"),
                datetime.fromtimestamp(row.last_at, zone).strftime("%Y-%m-%d %H:%M"),
                row.channel,
                row.user_messages,
                "" if row.min_confidence is None else f"{row.min_confidence:.2f}".replace(".", ","),
                "oui" if row.fallback else "non",
                "oui" if row.out_of_scope else "non",
                FORM_STATES.get(row.form, ""),
                row.annotations,
                _one_line(row.first_message),
            ]
        )
    return "\ufeff" + buffer.getvalue()
