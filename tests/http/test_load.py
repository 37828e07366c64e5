"""50 conversations × 20 messages at once over REST against the full stack: no error, no
empty reply, every message in the conversation log, bounded p99."""

from __future__ import annotations

import sqlite3

import pytest

from bench.load import run_load
from tests.stack import Stack

pytestmark = [pytest.mark.live, pytest.mark.load]
CONVERSATIONS, MESSAGES = 50, 20
P99_BOUND_MS = 10_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("load")).start()
    yield stack
    stack.stop()


def test_fifty_conversations_of_twenty_messages(stack):
    result = run_load(stack.rasa_url, CONVERSATIONS, MESSAGES, deadline_s=300)
    print(
        f"\n50 × 20 : p50 {result.percentile(0.5):.0f} ms, p95 {result.percentile(0.95):.0f} ms, "
        f"p99 {result.percentile(0.99):.0f} ms, {result.throughput:.1f} messages/s, {result.wall_s:.0f} s"
    )
    assert result.errors == 0 and result.empty == 0
    assert len(result.latencies_ms) == CONVERSATIONS * MESSAGES
    assert result.percentile(0.99) < P99_BOUND_MS
    prefix = f"bench-{result.run_id}-{CONVERSATIONS}-%"
    with sqlite3.connect(stack.tracker_path) as connection:  # this stack's own log (tests/stack.py)
        per_sender = dict(
            connection.execute(
                "select sender_id, count(*) from events"
                " where sender_id like ? and type_name = 'user' group by sender_id",
                (prefix,),
            ).fetchall()
        )
    assert len(per_sender) == CONVERSATIONS and set(per_sender.values()) == {MESSAGES}
