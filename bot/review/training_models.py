"""The model in service and its history: promote a candidate, restore an earlier model.

The model in service is the file ``MODEL_PATH`` (the one the Procfile's Rasa server loads at
start). Changing it:

1. the file in service is copied into the history folder (``history/`` beside it), named by
   date and digest, so that it can be restored;
2. the new model is copied beside ``MODEL_PATH`` and renamed over it (atomic: a restart
   in between loads the old or the new file, never half of one, and keeps the new one after);
3. each Rasa server (``RASA_INTERNAL_URL``, several separated by spaces for replicas) is asked
   to load it through its HTTP API (``PUT /model``, ``RASA_API_TOKEN``). Rasa 3.6 builds the
   new agent, then swaps it in (rasa/server.py, ``load_model``): until then, the old model
   answers; a model that cannot be loaded leaves the old one in service. The call returns
   once the new model is loaded. Loading runs on Rasa's event loop, so messages that arrive
   meanwhile wait for it (a few seconds) rather than being refused.

If a server refuses the new model, the previous file is put back and loaded again: the
model in service is unchanged and the trainer is told why.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Mapping, Optional, Tuple

from bot.review.config import REPO_ROOT

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = REPO_ROOT / "models" / "assistant.tar.gz"
DEFAULT_TRAINING_DIR = REPO_ROOT / "var" / "training"
HISTORY_SIZE = 10
LOAD_TIMEOUT_S = 600
_SWAP_LOCK = threading.Lock()


class ModelError(RuntimeError):
    """The model in service could not be changed; the message is French, for the trainer."""


@dataclass(frozen=True)
class TrainingSettings:
    """Where the models and trainings live and how to reach the Rasa server(s)."""

    model_path: Path = DEFAULT_MODEL_PATH
    training_dir: Path = DEFAULT_TRAINING_DIR
    rasa_urls: Tuple[str, ...] = ("http://127.0.0.1:5005",)
    api_token: str = ""
    action_server_url: str = "http://localhost:5055/webhook"
    # The rasa command of this virtual environment (the web server runs from .venv/bin/python).
    rasa_command: Tuple[str, ...] = (str(REPO_ROOT / ".venv" / "bin" / "rasa"),)
    evaluation_sets: Tuple[str, ...] = ("development", "heldout")
    history_size: int = HISTORY_SIZE

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> TrainingSettings:
        environ = os.environ if environ is None else environ
        port = environ.get("RASA_PORT", "5005")
        urls = (environ.get("RASA_INTERNAL_URL") or f"http://127.0.0.1:{port}").split()
        action_port = environ.get("ACTION_PORT", "5055")
        return cls(
            model_path=(REPO_ROOT / environ.get("MODEL_PATH", str(DEFAULT_MODEL_PATH))).resolve(),
            training_dir=(REPO_ROOT / environ.get("TRAINING_DIR", str(DEFAULT_TRAINING_DIR))).resolve(),
            rasa_urls=tuple(url.rstrip("/") for url in urls),
            api_token=environ.get("RASA_API_TOKEN", ""),
            action_server_url=environ.get("ACTION_SERVER_URL") or f"http://localhost:{action_port}/webhook",
        )

    @property
    def history_dir(self) -> Path:
        return self.model_path.parent / "history"

    def api_problem(self) -> Optional[str]:
        """Why models cannot be put in service from the console, in French, or None."""
        if not self.api_token:
            return (
                "L'API HTTP du serveur Rasa est désactivée (variable RASA_API_TOKEN vide) : la console peut "
                "entraîner et comparer un candidat, mais pas le mettre en service. « make run » la crée."
            )
        return None


@dataclass(frozen=True)
class ModelFile:
    name: str
    path: Path
    digest: str
    size: int
    modified: float


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def model_file(path: Path) -> ModelFile:
    stat = path.stat()
    return ModelFile(path.name, path, file_digest(path), stat.st_size, stat.st_mtime)


def get_in_service(settings: TrainingSettings) -> Optional[ModelFile]:
    return model_file(settings.model_path) if settings.model_path.exists() else None


def list_history(settings: TrainingSettings) -> List[ModelFile]:
    """Earlier models, newest first (their names start with the date they left service)."""
    if not settings.history_dir.is_dir():
        return []
    files = sorted(settings.history_dir.glob("*.tar.gz"), key=lambda path: path.name, reverse=True)
    return [model_file(path) for path in files]


def get_history_file(settings: TrainingSettings, name: str) -> Optional[ModelFile]:
    """One file of the history by its name as listed (nothing else: no path from a form)."""
    return next((item for item in list_history(settings) if item.name == name), None)


def _request(url: str, method: str = "GET", body: Optional[dict] = None, timeout: float = 10) -> bytes:
    request = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _reason(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        try:
            detail = json.loads(error.read()).get("message", "")
        except (ValueError, AttributeError):
            detail = ""
        return f"HTTP {error.code} {detail}".strip()
    return str(getattr(error, "reason", error))


def load_in_rasa(url: str, token: str, path: Path, timeout: float = LOAD_TIMEOUT_S) -> None:
    """Ask one Rasa server to load the model file ``path``; returns once it is loaded.

    Raises:
        ModelError: the server refused it or could not be reached.
    """
    try:
        _request(
            f"{url}/model?" + urllib.parse.urlencode({"token": token}),
            "PUT",
            {"model_file": str(path)},
            timeout,
        )
    except (OSError, ValueError) as error:
        raise ModelError(f"{url} : {_reason(error)}") from error


def served_model(url: str, token: str) -> str:
    """The model file a Rasa server says it runs, or why it does not answer (French)."""
    try:
        status = json.loads(_request(f"{url}/status?" + urllib.parse.urlencode({"token": token}), timeout=3))
    except (OSError, ValueError) as error:
        return f"injoignable ({_reason(error)})"
    return Path(str(status.get("model_file") or "aucun modèle")).name


@dataclass(frozen=True)
class Swap:
    previous_digest: str
    new_digest: str
    kept_as: str


def put_in_service(settings: TrainingSettings, new_model: Path) -> Swap:
    """Make ``new_model`` the model in service (see the module's docstring).

    Raises:
        ModelError: nothing changed in service; the message says why, in French.
    """
    problem = settings.api_problem()
    if problem:
        raise ModelError(problem)
    if not new_model.exists():
        raise ModelError("Le fichier de ce modèle n'existe plus.")
    with _exclusive(settings):
        current = get_in_service(settings)
        new_digest = file_digest(new_model)
        if current is not None and current.digest == new_digest:
            raise ModelError("Ce modèle est déjà en service.")
        kept = _keep_in_history(settings, current) if current else None
        _replace(new_model, settings.model_path)
        loaded, errors = [], []
        for url in settings.rasa_urls:
            try:
                load_in_rasa(url, settings.api_token, settings.model_path)
                loaded.append(url)
            except ModelError as error:
                errors.append(str(error))
        if errors:
            _put_back(settings, kept, loaded)
            raise ModelError(
                "Le serveur Rasa n'a pas chargé ce modèle (" + " ; ".join(errors) + ") : le modèle en service "
                "est inchangé."
            )
        _prune_history(settings, keep=kept)
    logger.info("Modèle en service remplacé : %s → %s", current.digest[:12] if current else "—", new_digest[:12])
    return Swap(current.digest if current else "", new_digest, kept.name if kept else "")


def _put_back(settings: TrainingSettings, kept: Optional[Path], loaded: List[str]) -> None:
    if kept is None:
        settings.model_path.unlink(missing_ok=True)
        return
    _replace(kept, settings.model_path)
    for url in loaded:
        try:
            load_in_rasa(url, settings.api_token, settings.model_path)
        except ModelError as error:
            logger.error("Retour au modèle précédent impossible sur %s : %s", url, error)


def _replace(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target`` atomically (a temporary file renamed in its folder)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _keep_in_history(settings: TrainingSettings, current: ModelFile) -> Path:
    """A copy of the model in service in the history (the existing one if already there)."""
    for item in list_history(settings):
        if item.digest == current.digest:
            return item.path
    settings.history_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime())
    kept = settings.history_dir / f"{stamp}-{current.digest[:12]}.tar.gz"
    _replace(current.path, kept)
    return kept


def _prune_history(settings: TrainingSettings, keep: Optional[Path]) -> None:
    for item in list_history(settings)[settings.history_size :]:
        if item.path != keep:
            item.path.unlink(missing_ok=True)


@contextmanager
def _exclusive(settings: TrainingSettings) -> Iterator[None]:
    """One change of the model in service at a time, across threads and processes."""
    settings.history_dir.mkdir(parents=True, exist_ok=True)
    with _SWAP_LOCK, open(settings.history_dir / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
