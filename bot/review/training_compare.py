"""Side by side: a candidate model and the model in service, on the same questions.

For each model:

- the **evaluation sets** development (143 cases) and heldout (304) of evaluation/, scored by
  bot.evaluation (score per category, overall, top-1) on a temporary Rasa server. Not the
  blind set: it is scored once, at the end of a piece of work, never to choose a model. The
  two sets take about 25 s per model (measured 6 s + 17 s on the 2-core development machine);
- the **test stories** of tests/stories, with ``rasa test core`` as ``make stories`` runs
  them (about 35 s per model);
- the **trainers' sentences** (bot.review.training_data): the intent each model gives them
  through ``/model/parse``, against the trainer's.

The temporary Rasa server listens on a free loopback port with an endpoints file that has the
action server (``ACTION_SERVER_URL``) and the domain's response generator but **no tracker
store**: evaluation conversations stay in its memory and never enter the trainers'
conversation log. It starts once with the candidate, then loads the model in service through
its own ``PUT /model`` (a few seconds instead of a second cold start of ~25 s).

The results of the model in service are kept in the training folder, by digest of the model,
of the evaluation sets, of the content and of the code that answers: the next candidate is
compared without scoring the same model again (a first comparison takes about 2 min 30 s,
the next ones about 1 min 30 s).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import yaml

from bot import evaluation
from bot.kb.content import DEFAULT_CONTENT_DIR
from bot.review.config import REPO_ROOT
from bot.review.training_data import TrainingSentence
from bot.review.training_models import TrainingSettings, _request, file_digest

logger = logging.getLogger(__name__)

STORIES_DIR = REPO_ROOT / "tests" / "stories"
START_TIMEOUT_S = 300
STORIES_TIMEOUT_S = 600
NICE = ("nice", "-n", "10")

Step = Callable[[str], None]


def compare(
    settings: TrainingSettings,
    candidate: Path,
    sentences: Sequence[TrainingSentence],
    folder: Path,
    step: Step = lambda _text: None,
) -> dict:
    """The comparison, as JSON-ready data (see the module's docstring)."""
    in_service = folder / "in-service.tar.gz"
    shutil.copyfile(settings.model_path, in_service)  # what is in service now, even if it changes meanwhile
    served_digest = file_digest(in_service)
    cache = settings.training_dir / "baseline" / f"{baseline_key(served_digest, settings.evaluation_sets)}.json"
    baseline = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else None
    labels = evaluation.content_labels()
    with TemporaryRasa(settings, candidate, folder) as server:
        step("évaluation du candidat sur les jeux d'évaluation")
        candidate_sets = score_sets(server.url, settings.evaluation_sets, labels)
        after = [server.parse(sentence.text) for sentence in sentences]
        step("chargement du modèle en service sur le serveur temporaire")
        server.load(in_service)
        before = [server.parse(sentence.text) for sentence in sentences]
        if baseline is None:
            step("évaluation du modèle en service sur les jeux d'évaluation")
            baseline = {"sets": score_sets(server.url, settings.evaluation_sets, labels)}
    step("histoires de test du candidat")
    candidate_stories = run_stories(settings, candidate, folder / "stories-candidate")
    if "stories" not in baseline:
        step("histoires de test du modèle en service")
        baseline["stories"] = run_stories(settings, in_service, folder / "stories-in-service")
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(baseline, ensure_ascii=False), encoding="utf-8")
    in_service.unlink()
    return {
        "in_service_digest": served_digest,
        "sets": {
            name: {"in_service": baseline["sets"][name], "candidate": candidate_sets[name]}
            for name in settings.evaluation_sets
        },
        "stories": {"in_service": baseline["stories"], "candidate": candidate_stories},
        "sentences": [
            {
                "text": sentence.text,
                "intent": sentence.intent,
                "recorded_intent": sentence.recorded_intent,
                "before": old,
                "after": new,
            }
            for sentence, old, new in zip(sentences, before, after, strict=True)
        ],
    }


def baseline_key(model_digest: str, sets: Sequence[str]) -> str:
    """What the scores of one model depend on: the model, the questions, the content and the
    code of the actions and of the advisor."""
    sha = hashlib.sha256(model_digest.encode())
    files = [evaluation.SETS[name] for name in sets]
    files += sorted(STORIES_DIR.glob("*.yml"))
    files += sorted(Path(DEFAULT_CONTENT_DIR).rglob("*.yml"))
    files += sorted((REPO_ROOT / "actions").rglob("*.py")) + sorted((REPO_ROOT / "bot").rglob("*.py"))
    files += [REPO_ROOT / "domain.yml"]
    for path in files:
        if REPO_ROOT / "bot" / "review" in path.parents:
            continue  # the console's own code does not answer the questions
        sha.update(str(path.relative_to(path.anchor)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:32]


def summary(report: evaluation.Report) -> dict:
    def figures(outcomes: List[evaluation.Outcome]) -> dict:
        ranked = [outcome.top1 for outcome in outcomes if outcome.top1 is not None]
        return {
            "passed": sum(outcome.passed for outcome in outcomes),
            "total": len(outcomes),
            "top1_right": sum(ranked),
            "top1_total": len(ranked),
        }

    return {
        **figures(report.outcomes),
        "categories": {category: figures(outcomes) for category, outcomes in report.by_category().items()},
    }


def score_sets(url: str, sets: Sequence[str], labels: evaluation.Labels) -> Dict[str, dict]:
    return {
        name: summary(evaluation.evaluate(url, evaluation.load_questions(evaluation.SETS[name]), labels))
        for name in sets
    }


def run_stories(settings: TrainingSettings, model: Path, out: Path) -> dict:
    """``rasa test core`` on tests/stories: stories passed, their total, the failed ones' names."""
    command = [
        *NICE,
        *settings.rasa_command,
        "test",
        "core",
        "--stories",
        str(STORIES_DIR),
        "--model",
        str(model),
        "--out",
        str(out),
    ]
    log = out.with_suffix(".log")
    out.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        code = subprocess.run(
            command, cwd=out, env=_env(), stdout=handle, stderr=subprocess.STDOUT, timeout=STORIES_TIMEOUT_S
        ).returncode
    report = out / "story_report.json"
    if code != 0 or not report.exists():
        raise RuntimeError(f"« rasa test core » a échoué (code {code}) : {_tail(log)}")
    accuracy = json.loads(report.read_text(encoding="utf-8")).get("conversation_accuracy", {})
    failed_file = out / "failed_test_stories.yml"
    failed = []
    if failed_file.exists():
        document = yaml.safe_load(failed_file.read_text(encoding="utf-8")) or {}
        failed = [story.get("story", "") for story in (document.get("stories") or []) if isinstance(story, dict)]
    return {"passed": accuracy.get("correct", 0), "total": accuracy.get("total", 0), "failed": failed}


class TemporaryRasa:
    """A Rasa server on a free loopback port, conversations in memory, stopped on exit."""

    def __init__(self, settings: TrainingSettings, model: Path, folder: Path) -> None:
        self.settings = settings
        self.model = model
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_urlsafe(24)
        self.log = folder / "comparison-rasa.log"
        self.process: Optional[subprocess.Popen] = None
        self._log_handle = None

    def __enter__(self) -> TemporaryRasa:
        endpoints = self.folder / "endpoints-comparison.yml"
        endpoints.write_text(
            "# Serveur Rasa temporaire de comparaison : pas de tracker store (conversations en mémoire).\n"
            + yaml.safe_dump(
                {
                    "action_endpoint": {"url": self.settings.action_server_url},
                    "nlg": {"type": "channels.nlg.ButtonSafeNaturalLanguageGenerator"},
                }
            ),
            encoding="utf-8",
        )
        command = [
            *NICE,
            *self.settings.rasa_command,
            "run",
            "--model",
            str(self.model),
            "--interface",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(REPO_ROOT / "credentials.yml"),
            "--enable-api",
            "--auth-token",
            self.token,
        ]
        self._log_handle = open(self.log, "w")
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=_env(),
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"le serveur Rasa temporaire s'est arrêté : {_tail(self.log)}")
            try:
                if _request(f"{self.url}/", timeout=3).startswith(b"Hello from Rasa"):
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"le serveur Rasa temporaire n'a pas démarré en {START_TIMEOUT_S} s")

    def _api(self, path: str) -> str:
        return f"{self.url}{path}?" + urllib.parse.urlencode({"token": self.token})

    def load(self, model: Path) -> None:
        _request(self._api("/model"), "PUT", {"model_file": str(model)}, timeout=START_TIMEOUT_S)

    def parse(self, text: str) -> dict:
        """The intent this model gives ``text`` and its confidence."""
        parsed = json.loads(_request(self._api("/model/parse"), "POST", {"text": text}, timeout=30))
        intent = parsed.get("intent") or {}
        return {"intent": intent.get("name"), "confidence": round(float(intent.get("confidence") or 0), 3)}

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        self._log_handle.close()
        self.process = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict:
    return dict(os.environ, RASA_TELEMETRY_ENABLED="false", PYTHONWARNINGS="ignore")


def _tail(path: Path, chars: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""
