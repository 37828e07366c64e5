"""Trainers' annotations on turns, kept in our own tables with the history of every change."""

from __future__ import annotations

import time
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.review.models import Annotation, AnnotationChange, Turn

STATES = {
    "to_review": "à revoir",
    "anomaly": "anomalie",
    "resolved": "résolu",
    "wont_fix": "non corrigible",
}
REASONS = {
    "misunderstood": "question mal comprise",
    "inaccurate": "réponse inexacte",
    "incomplete": "réponse incomplète",
    "out_of_scope": "hors périmètre",
    "other": "autre",
}
MAX_COMMENT_CHARS = 4000


class InvalidAnnotation(ValueError):
    """The annotation cannot be saved; the message is French, for the trainer."""


def annotate(
    session: Session,
    turn_event_id: int,
    state: str,
    reason: str,
    author: str,
    correct_intent: Optional[str] = None,
    comment: str = "",
    known_intents: Optional[set] = None,
) -> Annotation:
    """Create or change the annotation of one turn and record the change."""
    turn = session.execute(select(Turn).where(Turn.event_id == turn_event_id)).scalar_one_or_none()
    if turn is None:
        raise InvalidAnnotation("Ce tour de parole n'existe pas (la conversation a peut-être été purgée).")
    if state not in STATES:
        raise InvalidAnnotation("État inconnu : choisissez à revoir, anomalie, résolu ou non corrigible.")
    if reason not in REASONS:
        raise InvalidAnnotation("Motif inconnu : choisissez un motif dans la liste.")
    correct_intent = (correct_intent or "").strip() or None
    if correct_intent is not None:
        if turn.kind != "user":
            raise InvalidAnnotation("L'intention correcte ne s'indique que sur un message de l'utilisateur.")
        if known_intents is not None and correct_intent not in known_intents:
            raise InvalidAnnotation(f"Intention inconnue : « {correct_intent} ».")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidAnnotation(f"Commentaire trop long (au plus {MAX_COMMENT_CHARS} caractères).")
    now = time.time()
    annotation = session.execute(
        select(Annotation).where(Annotation.turn_event_id == turn_event_id)
    ).scalar_one_or_none()
    if annotation is None:
        annotation = Annotation(turn_event_id=turn_event_id, conversation_id=turn.conversation_id)
        session.add(annotation)
    annotation.state = state
    annotation.reason = reason
    annotation.correct_intent = correct_intent
    annotation.comment = comment
    annotation.author = author
    annotation.updated_at = now
    session.add(
        AnnotationChange(
            turn_event_id=turn_event_id,
            conversation_id=turn.conversation_id,
            state=state,
            reason=reason,
            correct_intent=correct_intent,
            comment=comment,
            author=author,
            changed_at=now,
        )
    )
    session.flush()
    return annotation
