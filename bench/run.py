"""`make bench`: our stack measured side by side with a bare Rasa 3.6 in the same run.

The baseline is a bare Rasa assistant with the same version, NLU pipeline and training data,
one static response per intent, the in-memory tracker store and no custom action, started
with `rasa run` like ours. Our stack runs with its real action server and SQL tracker store.
Load is sent over REST on loopback, bounded in count and time. The results are printed and
written between the markers of BENCHMARKS.md.

    .venv/bin/python -m bench.run [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bench import components, review
from bench.load import LoadResult, run_load
from bench.nlu_compare import macro_f1
from bot.evaluation import DEFAULT_SETS, SETS, content_labels, evaluate, load_questions, post_message
from tests.stack import START_TIMEOUT, Stack, free_port, http_ok

REPO = Path(__file__).resolve().parents[1]
RASA = str(REPO / ".venv" / "bin" / "rasa")
BASELINE_DIR = REPO / "var" / "bench" / "baseline"
BENCHMARKS = REPO / "BENCHMARKS.md"
START_MARK, END_MARK = "<!-- bench:start -->", "<!-- bench:end -->"
LOADS = {1: 40, 10: 12, 50: 6}  # users → messages per user
QUICK_LOADS = {1: 10, 10: 4, 50: 2}


def quiet_env(**extra: str) -> Dict[str, str]:
    return dict(os.environ, PYTHONWARNINGS="ignore", RASA_TELEMETRY_ENABLED="false", **extra)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- baseline


def write_baseline_project() -> None:
    """A bare assistant: our intents and entities, one static response per intent."""
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    intents = domain["intents"]
    (BASELINE_DIR / "data").mkdir(parents=True, exist_ok=True)
    baseline_domain = {
        "version": "3.1",
        "intents": intents,
        "entities": domain["entities"],
        "responses": {f"utter_{intent}": [{"text": f"Réponse statique ({intent})."}] for intent in intents},
        "session_config": domain["session_config"],
    }
    rules = {
        "version": "3.1",
        "rules": [{"rule": intent, "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]} for intent in intents]
        + [{"rule": "fallback", "steps": [{"intent": "nlu_fallback"}, {"action": "utter_out_of_scope"}]}],
    }
    config = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    config["policies"] = [{"name": "MemoizationPolicy"}, {"name": "RulePolicy"}]
    files = {
        "domain.yml": baseline_domain,
        "data/rules.yml": rules,
        "config.yml": config,
        "credentials.yml": {"rest": None},
    }
    for name, content in files.items():
        (BASELINE_DIR / name).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def train_baseline() -> Path:
    write_baseline_project()
    subprocess.run(
        [RASA, "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data", str(REPO / "data/nlu"),
         "--out", "models", "--fixed-model-name", "baseline"],
        cwd=BASELINE_DIR, env=quiet_env(), check=True, capture_output=True,
    )  # fmt: skip
    return BASELINE_DIR / "models" / "baseline.tar.gz"


def start_baseline(model: Path, log_dir: Path) -> tuple:
    port = free_port()
    process = subprocess.Popen(
        [RASA, "run", "--model", str(model), "--port", str(port), "--credentials", "credentials.yml"],
        cwd=BASELINE_DIR, env=quiet_env(), stdout=(log_dir / "baseline.log").open("w"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    return process, port


# ---------------------------------------------------------------- costs


def training_from_scratch() -> Dict[str, float]:
    """Knowledge-base build and model training with an empty Rasa cache, in a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot.kb", "--database-url", f"sqlite:///{scratch}/kb.sqlite3", "build"],
            cwd=REPO, env=quiet_env(), check=True, capture_output=True,
        )  # fmt: skip
        kb_build = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(
            [RASA, "train", "--out", scratch, "--fixed-model-name", "scratch"],
            cwd=REPO, env=quiet_env(RASA_CACHE_DIRECTORY=f"{scratch}/cache"), check=True, capture_output=True,
        )  # fmt: skip
        return {"kb_build": kb_build, "training": time.perf_counter() - start}


def cold_start(log_dir: Path) -> float:
    """`make run` with a trained model: seconds until the first REST answer."""
    ports = Stack(log_dir)
    start = time.perf_counter()
    process = subprocess.Popen(
        ["make", "run"], cwd=REPO, env=ports.env, stdout=(log_dir / "cold-start.log").open("w"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        while time.perf_counter() - start < START_TIMEOUT:
            try:
                if post_message(ports.rasa_url, "bench-cold-start", "bonjour"):
                    return time.perf_counter() - start
            except (OSError, ValueError):
                time.sleep(0.2)
        raise RuntimeError("make run n'a pas répondu à temps")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0.0
    for candidate in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return total


def children(pid: int) -> List[int]:
    found = []
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError):
            continue
        if int(fields[1]) == pid:
            child = int(path.parent.name)
            found += [child, *children(child)]
    return found


class MemorySampler:
    """Peak resident memory of some processes while a load runs."""

    def __init__(self, pids: Dict[str, int]) -> None:
        self.pids = pids
        self.peak = {name: 0.0 for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_mb(pid))
            self._stop.wait(0.5)


# ---------------------------------------------------------------- accuracy


def cross_validation() -> float:
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [RASA, "test", "nlu", "--config", "config.yml", "--nlu", "data/nlu", "--cross-validation",
             "--folds", "3", "--out", scratch],
            cwd=REPO, env=quiet_env(), check=True, capture_output=True,
        )  # fmt: skip
        return macro_f1(Path(scratch))


# ---------------------------------------------------------------- report


def ratio(ours: float, baseline: float) -> str:
    return f"{ours / baseline:.2f}" if baseline else "—"


def load_row(name: str, result: LoadResult) -> str:
    return (
        f"| {name} | {result.users} | {result.messages} | {result.percentile(0.5):.0f} | {result.percentile(0.95):.0f} "
        f"| {result.percentile(0.99):.0f} | {result.throughput:.1f} | {result.errors} | {result.empty} |"
    )


def render(results: dict) -> str:
    lines = [
        f"Mesuré le {time.strftime('%Y-%m-%d %H:%M')} sur {os.cpu_count()} cœurs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} Gio de mémoire, "
        f"Python {platform.python_version()} ; commande : `make bench`"
        + (" (`--quick`)" if results["quick"] else "")
        + ".",
        "",
        "### Charge (canal REST, conversations en parallèle)",
        "",
        "| pile | conversations | messages | p50 (ms) | p95 (ms) | p99 (ms) | messages/s | erreurs | réponses vides |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for users in results["loads"]:
        lines.append(load_row("Rasa nu", results["loads"][users]["baseline"]))
        lines.append(load_row("la nôtre", results["loads"][users]["ours"]))
    lines += ["", "| conversations | débit (nous / Rasa nu) | p50 (nous / Rasa nu) |", "| --- | --- | --- |"]
    for users, pair in results["loads"].items():
        ours, baseline = pair["ours"], pair["baseline"]
        lines.append(
            f"| {users} | {ratio(ours.throughput, baseline.throughput)} "
            f"| {ratio(ours.percentile(0.5), baseline.percentile(0.5))} |"
        )
    lines += ["", "### Composants", "", "| composant | p50 (ms) | p95 (ms) |", "| --- | --- | --- |"]
    for name, (p50, p95) in results["components"].items():
        lines.append(f"| {name} | {p50:.2f} | {p95:.2f} |")
    lines += review.render(results["review"])
    memory = results["memory"]
    lines += [
        "",
        "### Coûts",
        "",
        "| mesure | valeur |",
        "| --- | --- |",
        "| démarrage à froid de `make run` jusqu'à la première réponse (modèle entraîné) "
        f"| {results['cold_start']:.1f} s |",
        f"| entraînement du modèle, cache vide | {results['training']['training']:.1f} s |",
        f"| construction de la base de connaissances | {results['training']['kb_build']:.1f} s |",
    ]
    for name in memory["rest"]:
        lines.append(
            f"| mémoire résidente, {name} : au repos / pic sous charge | "
            f"{memory['rest'][name]:.0f} Mo / {memory['peak'][name]:.0f} Mo |"
        )
    lines.append(f"| mémoire résidente, toute notre pile au pic | {memory['total_peak']:.0f} Mo |")
    lines += [
        "",
        "### Exactitude",
        "",
        "| mesure | valeur |",
        "| --- | --- |",
        *[
            f"| jeu d'évaluation « {name} » ({count} cas, `make eval`) : score / top-1 | {score:.1%} / {top1:.1%} |"
            for name, (count, score, top1) in results["evaluation"].items()
        ],
        f"| macro-F1 du NLU, validation croisée à 3 plis | {results['macro_f1']:.3f} |",
        "",
        "### Objectifs",
        "",
        "| objectif | mesuré | atteint |",
        "| --- | --- | --- |",
    ]
    for name, measured, met in results["goals"]:
        lines.append(f"| {name} | {measured} | {'oui' if met else '**non**'} |")
    return "\n".join(lines)


def goals(results: dict) -> list:
    ten, one = results["loads"][10], results["loads"][1]
    throughput = ten["ours"].throughput / ten["baseline"].throughput
    latency = one["ours"].percentile(0.5) / one["baseline"].percentile(0.5)
    search_p95 = results["components"]["recherche dans la base (find_missions)"][1]
    memory = results["memory"]["total_peak"]
    return [
        ("débit à 10 conversations ≥ 0,8 × Rasa nu", f"{throughput:.2f} ×", throughput >= 0.8),
        ("p50 à 1 conversation ≤ 2 × Rasa nu", f"{latency:.2f} ×", latency <= 2),
        ("recherche dans la base p95 ≤ 2 ms", f"{search_p95:.2f} ms", search_p95 <= 2),
        ("mémoire de toute la pile ≤ 1,5 Go", f"{memory:.0f} Mo", memory <= 1536),
        ("démarrage à froid ≤ 30 s", f"{results['cold_start']:.1f} s", results["cold_start"] <= 30),
        ("entraînement ≤ 90 s", f"{results['training']['training']:.1f} s", results["training"]["training"] <= 90),
    ]


def write_report(text: str) -> None:
    current = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Mesures\n"
    block = f"{START_MARK}\n{text}\n{END_MARK}"
    if START_MARK in current and END_MARK in current:
        before, rest = current.split(START_MARK, 1)
        current = before + block + rest.split(END_MARK, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n## Bancs d'essai (`make bench`)\n\n" + block + "\n"
    BENCHMARKS.write_text(current, encoding="utf-8")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="charges réduites, pour vérifier le banc")
    parser.add_argument("--no-write", action="store_true", help="n'écrit pas BENCHMARKS.md")
    args = parser.parse_args(argv)
    results: dict = {"quick": args.quick}
    log_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    log("entraînement depuis zéro…")
    results["training"] = training_from_scratch()
    log("modèle de référence (Rasa nu)…")
    baseline_model = train_baseline()
    log("démarrage à froid de make run…")
    results["cold_start"] = cold_start(log_dir)
    log("démarrage des deux piles…")
    stack = Stack(log_dir)
    baseline, baseline_port = start_baseline(baseline_model, log_dir)
    baseline_url = f"http://127.0.0.1:{baseline_port}"
    try:
        stack.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not http_ok(f"{baseline_url}/"):
            if baseline.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((log_dir / "baseline.log").read_text()[-3000:])
            time.sleep(0.5)
        for url in (baseline_url, stack.rasa_url):
            run_load(url, 2, 6)  # warm-up
        pids = {name: stack.processes[name].pid for name in ("rasa", "actions", "web")}
        pids["Rasa nu"] = baseline.pid
        results["memory"] = {"rest": {name: rss_mb(pid) for name, pid in pids.items()}}
        results["loads"] = {}
        with MemorySampler(pids) as sampler:
            for users, messages in (QUICK_LOADS if args.quick else LOADS).items():
                log(f"charge : {users} conversation(s)…")
                results["loads"][users] = {
                    "baseline": run_load(baseline_url, users, messages),
                    "ours": run_load(stack.rasa_url, users, messages),
                }
        results["memory"]["peak"] = sampler.peak
        results["memory"]["total_peak"] = sum(sampler.peak[name] for name in ("rasa", "actions", "web"))
        log("composants…")
        results["components"] = {
            **components.knowledge_base(),
            "aller-retour du serveur d'actions": components.action_round_trip(stack.ports["actions"]),
            "écriture du tracker store SQL (SQLite)": components.tracker_store_write(),
        }
        log("exactitude…")
        results["evaluation"] = {}
        for name in DEFAULT_SETS:
            report = evaluate(stack.rasa_url, load_questions(SETS[name]), content_labels())
            results["evaluation"][name] = (len(report.outcomes), report.score, report.top1)
    finally:
        stack.stop()
        os.killpg(baseline.pid, signal.SIGKILL)
    log("console de revue…")
    results["review"] = review.review_console(2_000 if args.quick else 10_000)
    results["macro_f1"] = 0.0 if args.quick else cross_validation()
    results["goals"] = goals(results)
    text = render(results)
    print(text)
    if not args.no_write:
        write_report(text)
    shutil.rmtree(log_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
