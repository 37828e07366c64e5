"""A scripted REST load through nginx that records, for every message, when it was sent and
answered, which replica answered (nginx's ``X-Replica`` header) and whether the answer is the
one the conversation's context calls for.

The script depends on context at every step: a follow-up names the mission asked before, the
guided review (a Rasa form) asks its questions in turn and its plan repeats the answers, "la
deuxième" picks from the plan's list. A replica that took over a conversation without its
slots and history would answer something else. Loopback only, bounded in count and time.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

APOLOGY_MARK = "pas pu traiter"


@dataclass(frozen=True)
class Step:
    message: str
    expect: str


SCRIPT: Sequence[Step] = (
    Step("Comment identifier un chef de file ?", "**Identifier un chef de file**"),
    Step("pourquoi ?", "**Pourquoi c'est important** — Identifier un chef de file"),
    Step("Je voudrais faire le point sur ma coopération", "1/4"),
    Step("on est au stade du montage", "2/4"),
    Step("trois communes et une association", "3/4"),
    Step("imposée par le financeur", "4/4"),
    # The plan repeats the form's slots: phase, origin and partners.
    Step(
        "les élus doutent de l'intérêt du projet",
        "(imposée par un financement ; Phase d'émergence ; partenaires : trois communes et une association)",
    ),
    Step("la deuxième", "**Repérer et faire émerger des enjeux communs**"),
    Step("donne-moi un exemple", "**Exemple** — Repérer et faire émerger des enjeux communs"),
    Step("et ensuite ?", "**Étape suivante** après « Repérer et faire émerger des enjeux communs »"),
)


@dataclass
class Exchange:
    """One message and what came back."""

    sender: str
    turn: int
    message: str
    expect: str
    sent_at: float
    received_at: float = 0.0
    status: int = 0  # HTTP status; 0 when no HTTP answer came (connection error, timeout)
    replica: str = ""
    text: str = ""
    error: str = ""

    @property
    def replied(self) -> bool:
        """A real answer: HTTP 200 and not the REST channel's apology."""
        return self.status == 200 and bool(self.text) and APOLOGY_MARK not in self.text

    @property
    def correct(self) -> bool:
        return self.replied and self.expect in self.text

    @property
    def latency_ms(self) -> float:
        return (self.received_at - self.sent_at) * 1000


def post(url: str, sender: str, message: str, timeout_s: float) -> Dict[str, object]:
    """POST one message to the REST channel; status, replica, joined texts and error."""
    body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            replies = json.loads(response.read().decode("utf-8"))
            texts = "\n".join(str(reply.get("text", "")) for reply in replies if isinstance(reply, dict))
            return {"status": response.status, "replica": response.headers.get("X-Replica", ""), "text": texts}
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:300]
        return {"status": error.code, "replica": error.headers.get("X-Replica", ""), "error": detail}
    except (OSError, ValueError) as error:
        return {"status": 0, "error": f"{type(error).__name__}: {error}"}


@dataclass
class ScriptedLoad:
    """``conversations`` senders in parallel, each playing ``script`` message after message."""

    url: str
    conversations: int
    script: Sequence[Step] = SCRIPT
    timeout_s: float = 60.0
    deadline_s: float = 300.0
    prefix: str = field(default_factory=lambda: f"cluster-{uuid.uuid4().hex[:8]}")
    exchanges: List[Exchange] = field(default_factory=list)
    started_at: float = 0.0
    finished_at: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._answered = 0
        self._milestones: Dict[int, threading.Event] = {}

    def sender(self, index: int) -> str:
        return f"{self.prefix}-{index}"

    def reached(self, answered: int) -> threading.Event:
        """An event set once ``answered`` messages have come back (replied or not)."""
        with self._lock:
            event = self._milestones.setdefault(answered, threading.Event())
            if self._answered >= answered:
                event.set()
            return event

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="scripted-load", daemon=True)
        thread.start()
        return thread

    def run(self) -> ScriptedLoad:
        self.started_at = time.time()
        stop_at = time.monotonic() + self.deadline_s
        threads = [
            threading.Thread(target=self._conversation, args=(index, stop_at), daemon=True)
            for index in range(self.conversations)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.finished_at = time.time()
        return self

    def _conversation(self, index: int, stop_at: float) -> None:
        sender = self.sender(index)
        for turn, step in enumerate(self.script):
            if time.monotonic() > stop_at:
                return
            exchange = Exchange(sender, turn, step.message, step.expect, sent_at=time.time())
            outcome = post(self.url, sender, step.message, self.timeout_s)
            exchange.received_at = time.time()
            exchange.status = int(outcome.get("status", 0))
            exchange.replica = str(outcome.get("replica", ""))
            exchange.text = str(outcome.get("text", ""))
            exchange.error = str(outcome.get("error", ""))
            with self._lock:
                self.exchanges.append(exchange)
                self._answered += 1
                for count, event in self._milestones.items():
                    if self._answered >= count:
                        event.set()

    # --- summaries -------------------------------------------------------------------------

    @property
    def wall_s(self) -> float:
        return self.finished_at - self.started_at

    @property
    def throughput(self) -> float:
        """Messages answered per second over the whole run."""
        replied = sum(exchange.replied for exchange in self.exchanges)
        return replied / self.wall_s if self.wall_s else 0.0

    def by_sender(self) -> Dict[str, List[Exchange]]:
        grouped: Dict[str, List[Exchange]] = {}
        for exchange in sorted(self.exchanges, key=lambda e: (e.sender, e.turn)):
            grouped.setdefault(exchange.sender, []).append(exchange)
        return grouped

    def percentile_ms(self, share: float, exchanges: Optional[List[Exchange]] = None) -> float:
        values = sorted(e.latency_ms for e in (self.exchanges if exchanges is None else exchanges) if e.replied)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]
