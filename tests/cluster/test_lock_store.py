"""The cluster's Redis lock store on a real Redis: distinct tickets when replicas ask at the
same instant, a held lock kept alive, a dead replica's tickets expiring after one lifetime."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict

import pytest
from rasa.utils.endpoints import EndpointConfig

from cluster.lock_store import AtomicRedisLockStore


@pytest.fixture
def make_store(redis_server, key_prefix):
    """A new store per call, with its own connections: one per simulated replica."""
    host, port = redis_server

    def make() -> AtomicRedisLockStore:
        return AtomicRedisLockStore(EndpointConfig(url=host, port=port, db=1, key_prefix=key_prefix))

    return make


def test_tickets_taken_at_the_same_instant_by_two_replicas_are_distinct(make_store):
    replicas = [make_store(), make_store()]
    conversations, per_replica = 20, 6
    tickets = defaultdict(list)
    barrier = threading.Barrier(len(replicas) * per_replica)

    def take(store: AtomicRedisLockStore) -> None:
        barrier.wait()
        for conversation in range(conversations):
            tickets[conversation].append(store.issue_ticket(f"conv-{conversation}", 30))

    threads = [threading.Thread(target=take, args=(store,)) for store in replicas for _ in range(per_replica)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = list(range(len(threads)))
    assert all(sorted(numbers) == expected for numbers in tickets.values()), dict(tickets)


def test_a_held_lock_outlives_its_lifetime_and_others_wait_for_it(make_store):
    first, second = make_store(), make_store()
    times = {}

    async def hold() -> None:
        async with first.lock("long", lock_lifetime=1):
            times["first_in"] = time.monotonic()
            await asyncio.sleep(2.5)  # a slow message: 2.5 lifetimes
            times["first_out"] = time.monotonic()

    async def wait_then_enter() -> None:
        await asyncio.sleep(0.2)
        async with second.lock("long", lock_lifetime=1, wait_time_in_seconds=0.1):
            times["second_in"] = time.monotonic()

    async def both() -> None:
        await asyncio.gather(hold(), wait_then_enter())

    asyncio.run(both())
    assert times["second_in"] >= times["first_out"]


def test_tickets_of_a_replica_that_died_expire_after_one_lifetime(make_store):
    dead, alive = make_store(), make_store()
    dead.issue_ticket("orphan", 1)  # taken, then the replica is killed: no release, no keep-alive

    async def enter() -> float:
        start = time.monotonic()
        async with alive.lock("orphan", lock_lifetime=1, wait_time_in_seconds=0.1):
            return time.monotonic() - start

    waited = asyncio.run(enter())
    assert 0.5 < waited < 2.5


def test_the_lock_goes_with_its_last_ticket_and_expires_in_redis(make_store, key_prefix):
    store = make_store()

    async def inside() -> int:
        async with store.lock("short", lock_lifetime=5):
            return store.red.pttl(store.key_prefix + "short")

    ttl_ms = asyncio.run(inside())
    assert 0 < ttl_ms <= 7000
    assert store.get_lock("short") is None
    assert store.key_prefix.startswith(f"{key_prefix}:")
