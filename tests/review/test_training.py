"""Candidate models trained from the console: job states, training data from the annotations,
one training at a time, failures that change nothing in service, promotion and restoration
through Rasa's PUT /model, stale jobs after a restart.

The training subprocess is a small fake ``rasa`` (a real process, really killed); the Rasa
server is a fake HTTP server recording the PUT /model calls. The real ones are walked by
tests/browser/test_training_loop.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from sqlalchemy import select

from bot.kb.content import REPOSITORY_CONTENT_DIR
from bot.review import training_jobs as jobs
from bot.review.annotations import annotate
from bot.review.models import Turn
from bot.review.training import INTERRUPTED, Trainer, read_progress
from bot.review.training_data import drop_examples_of_other_intents, list_training_sentences, write_training_data
from bot.review.training_models import ModelError, TrainingSettings, file_digest, list_history

FAKE_RASA = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    args = sys.argv[1:]
    value = lambda name: args[args.index(name) + 1]
    assert args[0] == "train", args
    print("INFO rasa.cli.train - Started validating domain and training data...", flush=True)
    if os.environ.get("FAKE_RASA_FAIL"):
        print("rasa.shared.exceptions.InvalidConfigException: configuration invalide", flush=True)
        sys.exit(1)
    print("INFO rasa.engine.training.hooks - Starting to train component 'CountVectorsFeaturizer'.", flush=True)
    time.sleep(float(os.environ.get("FAKE_RASA_SECONDS", "0")))
    print("INFO rasa.engine.training.hooks - Starting to train component 'RulePolicy'.", flush=True)
    corrections = (Path(value("--data")) / "nlu" / "corrections.yml").read_bytes()
    (Path(value("--out")) / (value("--fixed-model-name") + ".tar.gz")).write_bytes(b"candidate\\n" + corrections)
    print("Your Rasa model is trained and saved at 'candidate.tar.gz'.", flush=True)
    """
)
COMPARISON = {"in_service_digest": "x", "sets": {}, "stories": {}, "sentences": []}


class FakeRasa(ThreadingHTTPServer):
    """Answers PUT /model (204, or ``status``) and GET /status, and records the PUTs."""

    def __init__(self) -> None:
        self.loads = []
        self.status = 204
        self.loaded = ""

        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_PUT(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                token = parse_qs(urlsplit(self.path).query).get("token", [""])[0]
                server.loads.append(
                    (urlsplit(self.path).path, token, body["model_file"], Path(body["model_file"]).read_bytes())
                )
                if server.status == 204:
                    server.loaded = body["model_file"]
                self.send_response(server.status)
                self.end_headers()
                if server.status != 204:
                    self.wfile.write(json.dumps({"message": "modèle illisible"}).encode())

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"model_file": server.loaded}).encode())

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def fake_rasa():
    server = FakeRasa()
    yield server
    server.shutdown()


@pytest.fixture
def settings(tmp_path, fake_rasa) -> TrainingSettings:
    script = tmp_path / "fake_rasa.py"
    script.write_text(FAKE_RASA, encoding="utf-8")
    model = tmp_path / "models" / "assistant.tar.gz"
    model.parent.mkdir()
    model.write_bytes(b"model in service\n")
    return TrainingSettings(
        model_path=model,
        training_dir=tmp_path / "training",
        rasa_urls=(fake_rasa.url,),
        api_token="jeton-api",
        rasa_command=(sys.executable, str(script)),
    )


def user_turn(store, text: str) -> int:
    with store.session() as session:
        return session.execute(select(Turn.event_id).where(Turn.kind == "user", Turn.text == text)).scalar_one()


def annotated(store, text: str, intent: str) -> None:
    with store.session() as session:
        annotate(session, user_turn(store, text), "anomaly", "misunderstood", "alice", correct_intent=intent)


def compare_stub(calls):
    def compare(settings, candidate, sentences, folder, step):
        step("évaluation du candidat")
        calls.append((candidate.read_bytes(), list(sentences), settings.model_path.read_bytes()))
        return COMPARISON

    return compare


def wait_until_over(store, job_id: int, timeout: float = 60) -> jobs.Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.session() as session:
            job = jobs.get_job(session, job_id)
        if not job.active:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job.state}")


def wait_for_pid(store, job_id: int) -> int:
    for _ in range(200):
        with store.session() as session:
            pid = jobs.get_job(session, job_id).pid
        if pid:
            return pid
        time.sleep(0.05)
    raise AssertionError("the training subprocess never started")


# --- job table -------------------------------------------------------------------------


def test_a_second_active_job_is_refused_and_decisions_move_only_from_their_states(store):
    with store.session() as session:
        first = jobs.create_job(session, "alice", 2)
        with pytest.raises(jobs.TrainingRefused, match="déjà en cours .* alice"):
            jobs.create_job(session, "bob", 0)
        assert not jobs.move_job(session, first.id, jobs.PROMOTABLE, jobs.PROMOTED)
        assert jobs.move_job(session, first.id, (jobs.TRAINING,), jobs.EVALUATED, comparison={"a": 1})
        assert jobs.get_job(session, first.id).comparison == {"a": 1}
        assert jobs.move_job(session, first.id, jobs.PROMOTABLE, jobs.DISCARDED)
        assert not jobs.move_job(session, first.id, jobs.PROMOTABLE, jobs.PROMOTED)
        second = jobs.create_job(session, "bob", 0)
        assert [job.id for job in jobs.list_jobs(session)] == [second.id, first.id]


# --- training data ---------------------------------------------------------------------


def test_corrections_and_validated_sentences_become_training_data_with_fresh_lookups(recorded, tmp_path):
    annotated(recorded, "Qui doit piloter notre projet ?", "ask_mission")  # NLU said nlu_fallback
    annotated(recorded, "pourquoi ?", "ask_why")  # NLU said ask_why: validated
    with recorded.session() as session:
        sentences = list_training_sentences(session)
    assert [(s.text, s.intent, s.recorded_intent, s.validated) for s in sentences] == [
        ("Qui doit piloter notre projet ?", "ask_mission", "nlu_fallback", False),
        ("pourquoi ?", "ask_why", "ask_why", True),
    ]
    content = tmp_path / "knowledge"
    shutil.copytree(REPOSITORY_CONTENT_DIR, content)
    # A keyword published from the console since the last make model reaches the lookups.
    missions = content / "missions" / "emergence.yml"
    text = missions.read_text(encoding="utf-8")
    missions.write_text(
        text.replace("      - état des lieux\n", "      - état des lieux\n      - tour de table inaugural\n", 1)
    )
    data = tmp_path / "data"
    write_training_data(data, sentences, content_dir=content)
    corrections = yaml.safe_load((data / "nlu" / "corrections.yml").read_text(encoding="utf-8"))
    assert corrections["nlu"] == [
        {"intent": "ask_mission", "examples": "- Qui doit piloter notre projet ?\n"},
        {"intent": "ask_why", "examples": "- pourquoi ?\n"},
    ]
    repository = Path(__file__).resolve().parents[2] / "data"
    assert sorted(p.name for p in (data / "rules").iterdir()) == sorted(
        p.name for p in (repository / "rules").iterdir()
    )
    lookups = (data / "nlu" / "lookups.yml").read_text(encoding="utf-8")
    assert "- tour de table inaugural" in lookups
    assert "tour de table inaugural" not in (repository / "nlu" / "lookups.yml").read_text(encoding="utf-8")


def test_a_sentence_filed_under_another_intent_leaves_the_old_intent_examples():
    text = textwrap.dedent(
        """\
        version: "3.1"
        nlu:
          - intent: ask_why
            examples: |
              - pourquoi ?
              - c'est quoi le [chef de file](theme) ?
          - intent: ask_mission
            examples: |
              - pourquoi ?
          - synonym: chef de file
            examples: |
              - pourquoi ?
        """
    )
    kept = drop_examples_of_other_intents(
        text, {"pourquoi ?": "ask_mission", "c'est quoi le chef de file ?": "ask_why"}
    )
    document = yaml.safe_load(kept)
    assert document["nlu"][0]["examples"] == "- c'est quoi le [chef de file](theme) ?\n"
    assert document["nlu"][1]["examples"] == "- pourquoi ?\n"
    assert document["nlu"][2]["examples"] == "- pourquoi ?\n"  # synonyms are not intents


# --- training --------------------------------------------------------------------------


def test_a_training_runs_in_the_background_then_is_compared(recorded, settings):
    annotated(recorded, "Qui doit piloter notre projet ?", "ask_mission")
    calls = []
    trainer = Trainer(settings, recorded, compare=compare_stub(calls))
    job = trainer.start("alice")
    assert job.state == jobs.TRAINING and job.corrections == 1
    job = wait_until_over(recorded, job.id)
    assert job.state == jobs.EVALUATED, job.error
    assert job.comparison == COMPARISON and job.training_seconds > 0 and job.comparison_seconds is not None
    candidate, sentences, in_service = calls[0]
    assert b"- Qui doit piloter notre projet ?" in candidate
    assert [s.intent for s in sentences] == ["ask_mission"]
    assert in_service == b"model in service\n"
    assert "Your Rasa model is trained" in job.log_tail
    assert (Path(job.folder) / "data" / "nlu" / "corrections.yml").exists()


def test_only_one_training_at_a_time_even_from_another_process(recorded, settings, monkeypatch):
    monkeypatch.setenv("FAKE_RASA_SECONDS", "3")
    trainer = Trainer(settings, recorded, compare=compare_stub([]))
    job = trainer.start("alice")
    with pytest.raises(jobs.TrainingRefused, match="un seul à la fois"):
        trainer.start("bob")
    # Another web process: its own Trainer, the same folder (lock file) and database.
    with pytest.raises(jobs.TrainingRefused, match="un seul à la fois"):
        Trainer(settings, recorded).start("bob")
    assert Trainer(settings, recorded).recover() == []  # the running job is not stale
    assert wait_until_over(recorded, job.id).state == jobs.EVALUATED
    trainer.threads[-1].join(timeout=10)  # the lock is released once the job row says it is over
    assert trainer.start("bob").id == job.id + 1


def test_a_killed_training_fails_and_leaves_the_model_in_service_untouched(recorded, settings, monkeypatch):
    monkeypatch.setenv("FAKE_RASA_SECONDS", "30")
    before = file_digest(settings.model_path)
    calls = []
    trainer = Trainer(settings, recorded, compare=compare_stub(calls))
    job = trainer.start("alice")
    pid = wait_for_pid(recorded, job.id)
    log = settings.training_dir / f"job-{job.id}" / "train.log"
    for _ in range(200):  # killed in the middle of the training
        if "Starting to train component" in log.read_text():
            break
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    job = wait_until_over(recorded, job.id, timeout=20)
    assert job.state == jobs.FAILED and "signal 9" in job.error and "n'a pas changé" in job.error
    assert "Starting to train component" in job.log_tail
    assert not (Path(job.folder) / "candidate.tar.gz").exists() and calls == []
    assert file_digest(settings.model_path) == before and list_history(settings) == []


def test_a_training_rasa_refuses_says_why_with_its_log(recorded, settings, monkeypatch):
    monkeypatch.setenv("FAKE_RASA_FAIL", "1")
    trainer = Trainer(settings, recorded, compare=compare_stub([]))
    job = wait_until_over(recorded, trainer.start("alice").id)
    assert job.state == jobs.FAILED and "code 1" in job.error
    assert "InvalidConfigException" in job.log_tail
    assert settings.model_path.read_bytes() == b"model in service\n"


def test_a_comparison_that_fails_leaves_a_candidate_ready_to_decide(recorded, settings):
    def broken(*_args):
        raise RuntimeError("le serveur Rasa temporaire n'a pas démarré")

    job = wait_until_over(recorded, Trainer(settings, recorded, compare=broken).start("alice").id)
    assert job.state == jobs.READY and "Comparaison impossible" in job.error


def test_progress_follows_the_stages_of_rasa_train():
    assert read_progress("", 1, None).stage == "preparing"
    log = "Started validating domain and training data\nStarting to train component 'CountVectorsFeaturizer'.\n"
    nlu = read_progress(log, 12, 40.0)
    assert nlu.stage == "nlu" and "CountVectorsFeaturizer" in nlu.label and nlu.expected == 40.0
    log += "Restored component 'LogisticRegressionClassifier' from cache.\nStarting to train component 'RulePolicy'.\n"
    assert read_progress(log, 20, None).stage == "core"
    assert read_progress(log + "Your Rasa model is trained and saved at 'x'.", 30, None).stage == "finished"


@pytest.mark.parametrize("folder_exists", [True, False])
def test_jobs_left_running_by_a_dead_process_are_marked_interrupted(store, settings, folder_exists):
    import subprocess

    folder = settings.training_dir / "job-1"
    leftover = None
    if folder_exists:
        folder.mkdir(parents=True)
        # The Rasa training the dead web server started, still running on its own.
        sleeper = [sys.executable, "-c", "import time; time.sleep(60)", "rasa"]
        leftover = subprocess.Popen([*sleeper, "train", "--out", str(folder)], start_new_session=True)
        # The training of job 10, whose folder name starts like job 1's: not stopped.
        other = subprocess.Popen([*sleeper, "run", "--model", f"{folder}0/candidate.tar.gz"], start_new_session=True)
    with store.session() as session:
        job = jobs.create_job(session, "alice", 0)
        jobs.update_job(session, job.id, pid=leftover.pid if leftover else None, folder=str(folder))
    stale = Trainer(settings, store).recover()
    assert [job.id for job in stale] == [job.id]
    with store.session() as session:
        job = jobs.get_job(session, job.id)
    assert job.state == jobs.FAILED and job.error == INTERRUPTED and "interrompu" in job.error
    if leftover:
        assert leftover.wait(timeout=10) == -signal.SIGKILL
        assert other.poll() is None
        other.kill()
        other.wait()
    assert Trainer(settings, store).recover() == []


# --- promotion, discard, restoration ---------------------------------------------------


def trained(store, settings, intent_text=("Qui doit piloter notre projet ?", "ask_mission")) -> tuple:
    annotated(store, *intent_text)
    trainer = Trainer(settings, store, compare=compare_stub([]))
    job = wait_until_over(store, trainer.start("alice").id)
    assert job.state == jobs.EVALUATED
    return trainer, job


def test_promotion_keeps_the_previous_model_and_asks_rasa_to_load_the_new_one(recorded, settings, fake_rasa):
    trainer, job = trained(recorded, settings)
    candidate = (Path(job.folder) / "candidate.tar.gz").read_bytes()
    change = trainer.promote(job.id, "bob")
    assert settings.model_path.read_bytes() == candidate
    assert fake_rasa.loads == [("/model", "jeton-api", str(settings.model_path), candidate)]
    (kept,) = list_history(settings)
    assert kept.path.read_bytes() == b"model in service\n" and change.kept_as == kept.name
    assert change.kind == "promotion" and change.job_id == job.id and change.author == "bob"
    with recorded.session() as session:
        promoted = jobs.get_job(session, job.id)
    assert promoted.state == jobs.PROMOTED and promoted.decided_by == "bob"
    assert not (Path(job.folder) / "candidate.tar.gz").exists()
    with pytest.raises(ModelError, match="ne peut pas être promu"):
        trainer.promote(job.id, "bob")

    restored = trainer.restore(kept.name, "alice")
    assert settings.model_path.read_bytes() == b"model in service\n"
    assert fake_rasa.loads[-1][3] == b"model in service\n"
    assert restored.kind == "restoration" and restored.new_digest == kept.digest
    # The promoted model left service: it is in the history too, and can come back.
    assert sorted(item.path.read_bytes() for item in list_history(settings)) == sorted(
        [candidate, b"model in service\n"]
    )


def test_a_model_rasa_cannot_load_is_not_put_in_service(recorded, settings, fake_rasa):
    trainer, job = trained(recorded, settings)
    fake_rasa.status = 400
    with pytest.raises(ModelError, match="n'a pas chargé .*HTTP 400 modèle illisible.*inchangé"):
        trainer.promote(job.id, "bob")
    assert settings.model_path.read_bytes() == b"model in service\n"
    with recorded.session() as session:
        assert jobs.get_job(session, job.id).state == jobs.EVALUATED
        assert jobs.list_changes(session) == []


def test_without_the_rasa_api_token_nothing_is_put_in_service(recorded, settings, fake_rasa):
    from dataclasses import replace

    trainer, job = trained(recorded, settings)
    trainer.settings = replace(settings, api_token="")
    with pytest.raises(ModelError, match="RASA_API_TOKEN"):
        trainer.promote(job.id, "bob")
    assert settings.model_path.read_bytes() == b"model in service\n" and fake_rasa.loads == []


def test_a_discarded_candidate_is_deleted_and_cannot_be_promoted(recorded, settings, fake_rasa):
    trainer, job = trained(recorded, settings)
    trainer.discard(job.id, "bob")
    assert not (Path(job.folder) / "candidate.tar.gz").exists() and (Path(job.folder) / "train.log").exists()
    with pytest.raises(ModelError):
        trainer.promote(job.id, "bob")
    assert fake_rasa.loads == [] and settings.model_path.read_bytes() == b"model in service\n"


def test_restoring_a_name_outside_the_history_is_refused(recorded, settings):
    trainer = Trainer(settings, recorded)
    with pytest.raises(ModelError, match="historique"):
        trainer.restore("../models/assistant.tar.gz", "bob")


# --- comparison pieces -----------------------------------------------------------------

FAKE_RASA_TEST = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    args = sys.argv[1:]
    assert args[:2] == ["test", "core"], args
    out = Path(args[args.index("--out") + 1])
    if os.environ.get("FAKE_RASA_FAIL"):
        print("ModelNotFound: pas de modèle", flush=True)
        sys.exit(1)
    report = {"conversation_accuracy": {"accuracy": 0.98, "correct": 65, "with_warnings": 0, "total": 66}}
    (out / "story_report.json").write_text(json.dumps(report))
    (out / "failed_test_stories.yml").write_text(
        'version: "3.1"\\nstories:\\n- story: au revoir (/tmp/test_smalltalk.yml)\\n  steps:\\n  - intent: goodbye\\n'
    )
    """
)


def test_stories_results_are_read_from_rasa_test_core(settings, tmp_path, monkeypatch):
    from dataclasses import replace

    from bot.review.training_compare import run_stories

    script = tmp_path / "fake_rasa_test.py"
    script.write_text(FAKE_RASA_TEST, encoding="utf-8")
    settings = replace(settings, rasa_command=(sys.executable, str(script)))
    result = run_stories(settings, settings.model_path, tmp_path / "stories")
    assert result == {"passed": 65, "total": 66, "failed": ["au revoir (/tmp/test_smalltalk.yml)"]}
    monkeypatch.setenv("FAKE_RASA_FAIL", "1")
    with pytest.raises(RuntimeError, match="code 1.*ModelNotFound"):
        run_stories(settings, settings.model_path, tmp_path / "stories-2")


def test_evaluation_summary_counts_per_category_and_top1():
    from bot.evaluation import Outcome, Question, Report
    from bot.review.training_compare import summary

    def outcome(category, passed, top1):
        question = Question(1, category, "?", expect_missions=("m",) if top1 is not None else ())
        return Outcome(question, passed, top1=top1)

    report = Report([outcome("phase", True, None), outcome("mission", True, True), outcome("mission", False, False)])
    assert summary(report) == {
        "passed": 2,
        "total": 3,
        "top1_right": 1,
        "top1_total": 2,
        "categories": {
            "mission": {"passed": 1, "total": 2, "top1_right": 1, "top1_total": 2},
            "phase": {"passed": 1, "total": 1, "top1_right": 0, "top1_total": 0},
        },
    }


def test_the_in_service_results_are_kept_for_the_same_model_content_and_code(tmp_path, monkeypatch):
    from bot.review import training_compare

    sets = ("development",)
    assert training_compare.baseline_key("a" * 64, sets) == training_compare.baseline_key("a" * 64, sets)
    assert training_compare.baseline_key("a" * 64, sets) != training_compare.baseline_key("b" * 64, sets)
    content = tmp_path / "knowledge"
    content.mkdir()
    (content / "phases.yml").write_text("a: 1\n", encoding="utf-8")
    monkeypatch.setattr(training_compare, "DEFAULT_CONTENT_DIR", content)
    first = training_compare.baseline_key("a" * 64, sets)
    (content / "phases.yml").write_text("a: 2\n", encoding="utf-8")  # content published meanwhile
    assert training_compare.baseline_key("a" * 64, sets) != first
