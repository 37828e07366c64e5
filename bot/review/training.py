"""Candidate models trained from the console: start, follow, compare, promote, discard, restore.

A training runs in a background thread of the web process, which starts
``rasa train --data <copy> --config config.yml --domain domain.yml --out <job folder>
--fixed-model-name candidate`` (niced) in the job's folder (``TRAINING_DIR``/job-<id>, by
default var/training/) on a copy of data/ with the trainers' sentences (training_data.py).
It writes only into that folder: a training that fails or is killed changes nothing in
service, and the job says why with the end of Rasa's log. A trained candidate is then
compared with the model in service (training_compare.py); the trainer promotes it or
discards it (training_models.py puts a model in service).

**One training at a time**: the job table refuses a second active job, and the thread holds
an exclusive lock on ``TRAINING_DIR/training.lock`` from the start of the training to the end
of the comparison (both are heavy on 2 cores). A process that finds the lock free while a job
row says « en cours » knows that the process which ran it is gone: the job becomes failed
(« interrompue ») and a Rasa training it left behind is stopped. The web server does this at
start-up and every time the models page is shown.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, List, Optional

from bot.review import training_jobs as jobs
from bot.review.config import REPO_ROOT
from bot.review.store import ReviewStore
from bot.review.training_compare import compare as compare_models
from bot.review.training_data import TrainingSentence, list_training_sentences, write_training_data
from bot.review.training_models import ModelError, TrainingSettings, get_history_file, put_in_service

logger = logging.getLogger(__name__)

CANDIDATE_NAME = "candidate"
INTERRUPTED = (
    "Entraînement interrompu : le serveur des pages s'est arrêté pendant qu'il tournait. Le modèle en service "
    "n'a pas changé ; relancez l'entraînement."
)
_STARTING = re.compile(r"(?:Starting to train|Restored) component '([^']+)'")
_FINISHED = "Your Rasa model is trained and saved"
_PREPARING = "Started validating domain and training data"
POLICIES = ("MemoizationPolicy", "RulePolicy", "TEDPolicy", "UnexpecTEDIntentPolicy", "AugmentedMemoizationPolicy")


@dataclass(frozen=True)
class Progress:
    """Where a training is, read from Rasa's log."""

    stage: str  # "preparing", "nlu", "core" or "finished"
    label: str  # French
    components: int  # components trained (or restored from Rasa's cache) so far
    elapsed: float
    expected: Optional[float]  # how long the last training took


def read_progress(log: str, elapsed: float, expected: Optional[float]) -> Progress:
    """The stage of ``rasa train`` from its log: data checked, NLU components, dialogue policies."""
    components = _STARTING.findall(log)
    if _FINISHED in log:
        return Progress("finished", "modèle enregistré", len(components), elapsed, expected)
    if components:
        current = components[-1]
        if current in POLICIES:
            label = f"apprentissage du dialogue ({current})"
            return Progress("core", label, len(components), elapsed, expected)
        return Progress("nlu", f"apprentissage de la compréhension ({current})", len(components), elapsed, expected)
    return Progress("preparing", "préparation et vérification des données", 0, elapsed, expected)


class Trainer:
    """The candidate trainings of one web process (their state is shared through the job table)."""

    def __init__(
        self,
        settings: TrainingSettings,
        store: ReviewStore,
        compare: Callable = compare_models,
        content_dir: Optional[Path] = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.compare = compare
        self.content_dir = content_dir
        self.threads: List[threading.Thread] = []

    # --- one at a time -------------------------------------------------------------------

    def _try_lock(self) -> Optional[IO]:
        """The training lock if no training runs (anywhere on this machine), else None."""
        self.settings.training_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.settings.training_dir / "training.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        return handle

    def recover(self) -> List[jobs.Job]:
        """Mark the jobs left active by a process that is gone as failed; returns them."""
        # Without the folder, no process can hold its lock: nothing to create to find that out.
        lock = self._try_lock() if self.settings.training_dir.exists() else None
        if lock is None and self.settings.training_dir.exists():
            return []  # a training is running: its rows are not stale
        try:
            with self.store.session() as session:
                stale = jobs.mark_interrupted(session, INTERRUPTED)
        finally:
            if lock is not None:
                lock.close()
        for job in stale:
            logger.warning("Entraînement n° %d interrompu (processus disparu).", job.id)
            _stop_leftover(job)
        return stale

    # --- training ------------------------------------------------------------------------

    def start(self, author: str) -> jobs.Job:
        """Create the job and start its training in the background.

        Raises:
            TrainingRefused: a training is already running (French message).
        """
        lock = self._try_lock()
        if lock is None:
            raise jobs.TrainingRefused(
                "Un entraînement est déjà en cours : un seul à la fois. Attendez qu'il se termine."
            )
        try:
            with self.store.session() as session:
                jobs.mark_interrupted(session, INTERRUPTED)  # we hold the lock: any active row is stale
                sentences = list_training_sentences(session)
                job = jobs.create_job(session, author, len(sentences))
                folder = self.settings.training_dir / f"job-{job.id}"
                jobs.update_job(session, job.id, folder=str(folder))
        except BaseException:
            lock.close()
            raise
        thread = threading.Thread(
            target=self._run, args=(job.id, folder, sentences, lock), name=f"training-{job.id}", daemon=True
        )
        self.threads.append(thread)
        thread.start()
        logger.info("Entraînement n° %d lancé par %s (%d phrases).", job.id, author, len(sentences))
        return job

    def _update(self, job_id: int, **values) -> None:
        with self.store.session() as session:
            jobs.update_job(session, job_id, **values)

    def _run(self, job_id: int, folder: Path, sentences: List[TrainingSentence], lock: IO) -> None:
        try:
            trained = self._train(job_id, folder, sentences)
            if trained:
                self._compare(job_id, folder, sentences)
        except BaseException as error:  # never leave a job « en cours » behind a dead thread
            logger.exception("Entraînement n° %d : erreur inattendue", job_id)
            self._update(job_id, state=jobs.FAILED, pid=None, error=f"Erreur inattendue : {error}")
        finally:
            lock.close()

    def _train(self, job_id: int, folder: Path, sentences: List[TrainingSentence]) -> bool:
        started = time.monotonic()
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            content = {} if self.content_dir is None else {"content_dir": self.content_dir}
            write_training_data(folder / "data", sentences, **content)
        except Exception as error:
            self._update(job_id, state=jobs.FAILED, error=f"Données d'entraînement impossibles à préparer : {error}")
            return False
        log_path = folder / "train.log"
        command = [
            "nice",
            "-n",
            "10",
            *self.settings.rasa_command,
            "train",
            "--data",
            str(folder / "data"),
            "--config",
            str(REPO_ROOT / "config.yml"),
            "--domain",
            str(REPO_ROOT / "domain.yml"),
            "--out",
            str(folder),
            "--fixed-model-name",
            CANDIDATE_NAME,
        ]
        env = dict(
            os.environ,
            RASA_TELEMETRY_ENABLED="false",
            PYTHONWARNINGS="ignore",
            # Rasa's cache of trained components, shared by the candidates (not by make model).
            RASA_CACHE_DIRECTORY=str(self.settings.training_dir / "cache"),
        )
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            self._update(job_id, pid=process.pid)
            code = process.wait()
        seconds = time.monotonic() - started
        tail = log_path.read_text(errors="replace")[-jobs.LOG_TAIL_CHARS :]
        candidate = folder / f"{CANDIDATE_NAME}.tar.gz"
        if code != 0 or not candidate.exists():
            candidate.unlink(missing_ok=True)
            if code < 0:
                reason = f"le processus d'entraînement a été arrêté (signal {-code}, {signal.Signals(-code).name})"
            else:
                reason = f"Rasa a terminé avec le code {code}"
            self._update(
                job_id,
                state=jobs.FAILED,
                pid=None,
                training_seconds=seconds,
                log_tail=tail,
                error=f"L'entraînement a échoué : {reason}. Le modèle en service n'a pas changé.",
            )
            logger.warning("Entraînement n° %d échoué : %s", job_id, reason)
            return False
        self._update(job_id, state=jobs.COMPARING, pid=None, training_seconds=seconds, log_tail=tail, step="")
        logger.info("Entraînement n° %d terminé en %.0f s.", job_id, seconds)
        return True

    def _compare(self, job_id: int, folder: Path, sentences: List[TrainingSentence]) -> None:
        started = time.monotonic()
        try:
            result = self.compare(
                self.settings,
                folder / f"{CANDIDATE_NAME}.tar.gz",
                sentences,
                folder,
                lambda text: self._update(job_id, step=text),
            )
        except Exception as error:
            logger.exception("Comparaison du candidat n° %d impossible", job_id)
            with self.store.session() as session:
                jobs.move_job(
                    session, job_id, (jobs.COMPARING,), jobs.READY, step="", error=f"Comparaison impossible : {error}"
                )
            return
        with self.store.session() as session:
            jobs.move_job(
                session,
                job_id,
                (jobs.COMPARING,),
                jobs.EVALUATED,
                step="",
                comparison=result,
                comparison_seconds=time.monotonic() - started,
            )

    def progress(self, job: jobs.Job) -> Optional[Progress]:
        """Where an active training is (None once it is over)."""
        if job.state != jobs.TRAINING:
            return None
        log_path = Path(job.folder) / "train.log"
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        with self.store.session() as session:
            expected = jobs.last_training_seconds(session)
        return read_progress(log, time.time() - job.created_at, expected)

    # --- decisions -----------------------------------------------------------------------

    def candidate_path(self, job: jobs.Job) -> Path:
        return Path(job.folder) / f"{CANDIDATE_NAME}.tar.gz"

    def promote(self, job_id: int, author: str) -> jobs.Change:
        """Put a trained candidate in service.

        Raises:
            ModelError: nothing changed in service (French message).
        """
        with self.store.session() as session:
            job = jobs.get_job(session, job_id)
        if job is None or job.state not in jobs.PROMOTABLE:
            raise ModelError("Ce candidat ne peut pas être promu (il n'est pas prêt, ou a déjà été promu ou écarté).")
        swap = put_in_service(self.settings, self.candidate_path(job))
        with self.store.session() as session:
            jobs.move_job(session, job_id, jobs.PROMOTABLE, jobs.PROMOTED, decided_by=author, decided_at=time.time())
            change = jobs.record_change(
                session, author, "promotion", swap.previous_digest, swap.new_digest, swap.kept_as, job_id=job_id
            )
        _clean(Path(job.folder), keep=("train.log",))
        logger.info("Candidat n° %d promu par %s.", job_id, author)
        return change

    def discard(self, job_id: int, author: str) -> None:
        """Delete a candidate that will not be promoted.

        Raises:
            ModelError: the candidate is not there to discard (French message).
        """
        with self.store.session() as session:
            job = jobs.get_job(session, job_id)
            if job is None or not jobs.move_job(
                session, job_id, jobs.PROMOTABLE, jobs.DISCARDED, decided_by=author, decided_at=time.time()
            ):
                raise ModelError(
                    "Ce candidat ne peut pas être écarté (il n'est pas prêt, ou a déjà été promu ou écarté)."
                )
        _clean(Path(job.folder), keep=("train.log",))
        logger.info("Candidat n° %d écarté par %s.", job_id, author)

    def restore(self, name: str, author: str) -> jobs.Change:
        """Put an earlier model of the history back in service (the current one goes to the history).

        Raises:
            ModelError: nothing changed in service (French message).
        """
        earlier = get_history_file(self.settings, name)
        if earlier is None:
            raise ModelError("Ce modèle n'est plus dans l'historique.")
        swap = put_in_service(self.settings, earlier.path)
        with self.store.session() as session:
            change = jobs.record_change(
                session, author, "restoration", swap.previous_digest, swap.new_digest, swap.kept_as
            )
        logger.info("Modèle %s remis en service par %s.", name, author)
        return change


def _clean(folder: Path, keep: tuple) -> None:
    """Remove a job's files but its log (the candidate and the data copy weigh the most)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name in keep:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _stop_leftover(job: jobs.Job) -> None:
    """Stop what a dead web process left running for this job: its Rasa training, the temporary
    Rasa server or ``rasa test core`` of its comparison (found by the job's folder in their
    arguments; they run in sessions of their own, so they outlive the web process)."""
    if not job.folder:
        return
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        mentions = any(arg == job.folder or arg.startswith(job.folder + os.sep) for arg in arguments)
        if mentions and any("rasa" in arg for arg in arguments):
            try:
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
