"""The review console's tables of the candidate models: one row per training started from the
console (``review_training_jobs``) and one per change of the model in service
(``review_model_changes``: promotion or restoration, who and when).

The job row is the shared truth across the web processes: a new training is refused while a
row is active (training or comparing), and a row left active by a process that died is marked
failed (« interrompue ») by the next process that finds the training lock free
(bot.review.training). Functions take the session first and return frozen records.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, Float, Integer, String, Text, select, update
from sqlalchemy.orm import Session

from bot.review.models import Base

TRAINING, COMPARING, READY, EVALUATED, FAILED, PROMOTED, DISCARDED = (
    "training",
    "comparing",
    "ready",
    "evaluated",
    "failed",
    "promoted",
    "discarded",
)
STATES = {
    TRAINING: "entraînement en cours",
    COMPARING: "comparaison en cours",
    READY: "prête (sans comparaison)",
    EVALUATED: "évaluée",
    FAILED: "échouée",
    PROMOTED: "promue",
    DISCARDED: "écartée",
}
ACTIVE = (TRAINING, COMPARING)
# A candidate that exists on disk and may be promoted or discarded.
PROMOTABLE = (READY, EVALUATED)
LOG_TAIL_CHARS = 4000


class TrainingRefused(RuntimeError):
    """A training cannot start now; the message is French, for the trainer."""


class TrainingJob(Base):
    __tablename__ = "review_training_jobs"

    id = Column(Integer, primary_key=True)
    state = Column(String(16), nullable=False, index=True)
    author = Column(String(64), nullable=False)
    created_at = Column(Float, nullable=False)
    corrections = Column(Integer, nullable=False, default=0)  # examples added to the training data
    folder = Column(Text, nullable=False, default="")
    pid = Column(Integer)  # the training subprocess, while it runs
    step = Column(Text, nullable=False, default="")  # what the comparison is doing, in French
    training_seconds = Column(Float)
    comparison_seconds = Column(Float)
    error = Column(Text, nullable=False, default="")  # why it failed, in French
    log_tail = Column(Text, nullable=False, default="")
    comparison = Column(Text, nullable=False, default="")  # JSON (bot.review.training_compare)
    decided_by = Column(String(64))
    decided_at = Column(Float)


class ModelChange(Base):
    """A change of the model in service: a candidate promoted, or an earlier model restored."""

    __tablename__ = "review_model_changes"

    id = Column(Integer, primary_key=True)
    at = Column(Float, nullable=False)
    author = Column(String(64), nullable=False)
    kind = Column(String(16), nullable=False)  # "promotion" or "restoration"
    job_id = Column(Integer)
    previous_digest = Column(String(64), nullable=False)
    new_digest = Column(String(64), nullable=False)
    kept_as = Column(Text, nullable=False, default="")  # the history file holding the previous model


@dataclass(frozen=True)
class Job:
    id: int
    state: str
    author: str
    created_at: float
    corrections: int
    folder: str
    pid: Optional[int]
    step: str
    training_seconds: Optional[float]
    comparison_seconds: Optional[float]
    error: str
    log_tail: str
    comparison: Optional[Dict[str, Any]]
    decided_by: Optional[str]
    decided_at: Optional[float]

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


@dataclass(frozen=True)
class Change:
    id: int
    at: float
    author: str
    kind: str
    job_id: Optional[int]
    previous_digest: str
    new_digest: str
    kept_as: str


def _job(row: TrainingJob) -> Job:
    return Job(
        id=row.id,
        state=row.state,
        author=row.author,
        created_at=row.created_at,
        corrections=row.corrections,
        folder=row.folder,
        pid=row.pid,
        step=row.step,
        training_seconds=row.training_seconds,
        comparison_seconds=row.comparison_seconds,
        error=row.error,
        log_tail=row.log_tail,
        comparison=json.loads(row.comparison) if row.comparison else None,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def get_active_job(session: Session) -> Optional[Job]:
    row = session.execute(
        select(TrainingJob).where(TrainingJob.state.in_(ACTIVE)).order_by(TrainingJob.id).limit(1)
    ).scalar_one_or_none()
    return _job(row) if row else None


def create_job(session: Session, author: str, corrections: int, at: Optional[float] = None) -> Job:
    """A new job in the training state; refused while another one is active."""
    active = get_active_job(session)
    if active is not None:
        raise TrainingRefused(
            f"Un entraînement est déjà en cours (n° {active.id}, lancé par {active.author}) : "
            "un seul à la fois. Attendez qu'il se termine."
        )
    row = TrainingJob(state=TRAINING, author=author, created_at=time.time() if at is None else at)
    row.corrections = corrections
    session.add(row)
    session.flush()
    return _job(row)


def get_job(session: Session, job_id: int) -> Optional[Job]:
    row = session.get(TrainingJob, job_id)
    return _job(row) if row else None


def list_jobs(session: Session, limit: int = 50) -> List[Job]:
    """Newest first."""
    rows = session.execute(select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit)).scalars()
    return [_job(row) for row in rows]


def update_job(session: Session, job_id: int, **values: Any) -> None:
    """Set columns of one job (``comparison`` is given as a dict and stored as JSON)."""
    if "comparison" in values and not isinstance(values["comparison"], str):
        values["comparison"] = json.dumps(values["comparison"], ensure_ascii=False)
    if "log_tail" in values:
        values["log_tail"] = values["log_tail"][-LOG_TAIL_CHARS:]
    session.execute(update(TrainingJob).where(TrainingJob.id == job_id).values(**values))


def move_job(session: Session, job_id: int, from_states: tuple, to_state: str, **values: Any) -> bool:
    """Change a job's state only if it is in one of ``from_states``; returns whether it moved.

    Two trainers clicking « promouvoir » and « écarter » at once: only the first one wins.
    """
    if "comparison" in values and not isinstance(values["comparison"], str):
        values["comparison"] = json.dumps(values["comparison"], ensure_ascii=False)
    result = session.execute(
        update(TrainingJob)
        .where(TrainingJob.id == job_id, TrainingJob.state.in_(from_states))
        .values(state=to_state, **values)
    )
    return result.rowcount == 1


def last_training_seconds(session: Session) -> Optional[float]:
    """How long the last training that finished took (for the progress estimate)."""
    return session.execute(
        select(TrainingJob.training_seconds)
        .where(TrainingJob.training_seconds.isnot(None), TrainingJob.state != FAILED)
        .order_by(TrainingJob.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def mark_interrupted(session: Session, reason: str) -> List[Job]:
    """Every active job becomes failed with ``reason``; returns them as they were.

    Called only by a process holding the training lock: no training can be running then.
    """
    rows = list(session.execute(select(TrainingJob).where(TrainingJob.state.in_(ACTIVE))).scalars())
    stale = [_job(row) for row in rows]
    for row in rows:
        row.state = FAILED
        row.error = reason
        row.pid = None
    session.flush()
    return stale


def record_change(
    session: Session,
    author: str,
    kind: str,
    previous_digest: str,
    new_digest: str,
    kept_as: str,
    job_id: Optional[int] = None,
) -> Change:
    row = ModelChange(
        at=time.time(),
        author=author,
        kind=kind,
        job_id=job_id,
        previous_digest=previous_digest,
        new_digest=new_digest,
        kept_as=kept_as,
    )
    session.add(row)
    session.flush()
    return _change(row)


def list_changes(session: Session, limit: int = 50) -> List[Change]:
    rows = session.execute(select(ModelChange).order_by(ModelChange.id.desc()).limit(limit)).scalars()
    return [_change(row) for row in rows]


def _change(row: ModelChange) -> Change:
    return Change(row.id, row.at, row.author, row.kind, row.job_id, row.previous_digest, row.new_digest, row.kept_as)
