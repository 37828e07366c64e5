"""A bounded load generator over the REST channel (standard library only, loopback only)."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import List

from bot.evaluation import post_message

# A realistic mix: greetings, knowledge questions, situations, follow-ups.
CONVERSATION = [
    "bonjour",
    "Quelles sont les phases d'une coopération ?",
    "Comment identifier un chef de file ?",
    "pourquoi ?",
    "Les élus doutent de l'intérêt de la coopération",
    "la deuxième",
    "donne-moi un exemple",
    "Que faire en phase de mise en œuvre ?",
    "Chaque service travaille dans son coin",
    "et ensuite ?",
    "Comment valoriser les résultats ?",
    "merci beaucoup",
]
REQUEST_TIMEOUT = 30.0


@dataclass
class LoadResult:
    users: int
    run_id: str = ""
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    wall_s: float = 0.0

    @property
    def messages(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0

    def percentile(self, share: float) -> float:
        values = sorted(self.latencies_ms)
        if not values:
            return float("nan")
        if share == 0.5:
            return statistics.median(values)
        return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def run_load(url: str, users: int, messages_per_user: int, deadline_s: float = 120.0) -> LoadResult:
    """``users`` conversations in parallel, each sending ``messages_per_user`` messages in turn."""
    run = uuid.uuid4().hex[:8]
    result = LoadResult(users, run_id=run)
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline_s

    def conversation(index: int) -> None:
        sender = f"bench-{run}-{users}-{index}"
        for turn in range(messages_per_user):
            if time.monotonic() > stop_at:
                return
            message = CONVERSATION[(index + turn) % len(CONVERSATION)]
            start = time.perf_counter()
            try:
                replies = post_message(url, sender, message, REQUEST_TIMEOUT)
            except (OSError, ValueError):
                with lock:
                    result.errors += 1
                continue
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                result.latencies_ms.append(elapsed)
                if not any(reply.get("text") for reply in replies):
                    result.empty += 1

    threads = [threading.Thread(target=conversation, args=(index,)) for index in range(users)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall_s = time.perf_counter() - start
    return result
