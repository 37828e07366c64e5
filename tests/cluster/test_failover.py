"""Two Rasa replicas behind nginx on PostgreSQL and Redis; one is killed (SIGKILL) half-way
through 30 conversations × 10 messages.

Afterwards: every message that got a reply is in PostgreSQL once, in order; the conversations
go on on the surviving replica with their slots and history (REST and socket.io); the only
errors are the messages that were being processed by the killed replica; the replica, started
again, takes its share of the traffic. Also: two messages of one conversation sent at the same
instant to the two replicas are processed one after the other (Redis lock store), and
socket.io long-polling clients stay on one replica, and a reply reaches a browser tab
connected to the other replica than the one that processed the message (Redis manager).

Needs PostgreSQL, Redis and nginx (make cluster-deps); skipped without them, failed in CI.
About 3 minutes: the replicas take ~30 s each to load the model.
"""

from __future__ import annotations

import asyncio
import json
import queue
import re
import secrets
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Tuple

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cluster import services
from cluster.load import ScriptedLoad, post
from cluster.run import Cluster, Ports, SharedState, build_knowledge_base

pytestmark = [pytest.mark.live, pytest.mark.cluster]

REPLICAS, CONVERSATIONS = 2, 30
KILLED, SURVIVOR = "rasa-1", "rasa-2"
BACKGROUND_QUESTION = "Comment favoriser l'interconnaissance ?"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_server, redis_server, nginx_binary):
    """The whole cluster on a database and a Redis key prefix of this run only."""
    run = uuid.uuid4().hex[:8]
    url = make_url(postgres_server).set(database=f"cluster_test_{run}").render_as_string(hide_password=False)
    prefix = f"clustertest{run}"
    services.create_database(url)
    deployment = None
    try:
        build_knowledge_base(url)
        state = SharedState(url, url, redis_server[0], redis_server[1], 1, prefix)
        directory = tmp_path_factory.mktemp("cluster")
        deployment = Cluster(directory, REPLICAS, Ports.free(REPLICAS), state, public_host="127.0.0.1")
        deployment.start()
        deployment.database_url = url
        yield deployment
    finally:
        if deployment is not None:
            deployment.stop()
        services.drop_database(url)
        client = redis.Redis(host=redis_server[0], port=redis_server[1], db=1)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


# --- socket.io clients --------------------------------------------------------------------------


async def _websocket_conversation(url: str, secret: str, message: str) -> Tuple[str, List[str]]:
    """What the widget does (websocket only, engine.io v4 by hand): open the session, send one
    message, collect the replies. Returns (replica that served the websocket, reply texts)."""
    import websockets

    uri = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(uri, open_timeout=10) as socket:
        replica = socket.response_headers.get("X-Replica", "")

        async def next_packet(timeout: float) -> str:
            while True:
                packet = await asyncio.wait_for(socket.recv(), timeout)
                if packet == "2":  # engine.io ping
                    await socket.send("3")
                    continue
                return packet

        async def emit(event: str, data: dict) -> None:
            await socket.send("42" + json.dumps([event, data]))

        assert (await next_packet(10)).startswith("0")
        await socket.send("40")
        assert (await next_packet(10)).startswith("40")
        await emit("session_request", {"session_id": secret})
        assert (await next_packet(10)).startswith('42["session_confirm"')
        await emit("user_uttered", {"message": message, "session_id": secret})
        texts = []
        timeout = 60.0
        while True:
            try:
                packet = await next_packet(timeout)
            except asyncio.TimeoutError:
                return replica, texts
            event, data = json.loads(packet[2:])
            if event == "bot_uttered":
                texts.append(data.get("text", ""))
                timeout = 2.0  # the rest of the reply follows at once


def websocket_conversation(url: str, secret: str, message: str) -> Tuple[str, List[str]]:
    return asyncio.run(_websocket_conversation(url, secret, message))


def polling_conversation(url: str, source_address: str, message: str) -> List[str]:
    """One conversation with a socket.io client over long-polling (socket.io's default
    transport: several HTTP requests per session) from one loopback address."""
    import requests
    import socketio
    from requests.adapters import HTTPAdapter

    class SourceAddressAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (source_address, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", SourceAddressAdapter())
    client = socketio.Client(reconnection=False, http_session=session)
    replies: List[str] = []
    confirmed, answered = threading.Event(), threading.Event()
    client.on("session_confirm", lambda _secret: confirmed.set())
    client.on("bot_uttered", lambda reply: (replies.append(reply.get("text", "")), answered.set()))
    client.connect(url, transports=["polling"])
    try:
        secret = secrets.token_urlsafe(32)
        client.emit("session_request", {"session_id": secret})
        assert confirmed.wait(10), source_address
        client.emit("user_uttered", {"message": message, "session_id": secret})
        assert answered.wait(30), source_address
        time.sleep(1)  # the rest of the reply, over several polls
    finally:
        client.disconnect()
    return replies


# --- the switch -----------------------------------------------------------------------------------


@dataclass
class Switch:
    load: ScriptedLoad
    kill_started: float
    kill_done: float
    browser_before: Tuple[str, List[str]]
    browser_after: Tuple[str, List[str]]

    def in_flight(self, exchange) -> bool:
        return exchange.sent_at < self.kill_done and exchange.received_at > self.kill_started

    def longest_wait_after_ms(self) -> float:
        """The longest a message sent once the kill had begun waited for its (real) answer."""
        waits = [e.latency_ms for e in self.load.exchanges if e.sent_at >= self.kill_started and e.replied]
        return max(waits, default=0.0)


@pytest.fixture(scope="module")
def switch(cluster) -> Switch:
    # A browser whose websocket is on the replica about to die (least_conn: at most a few tries).
    secret = secrets.token_urlsafe(32)
    for _attempt in range(6):
        before = websocket_conversation(cluster.url, secret, BACKGROUND_QUESTION)
        if before[0] == KILLED:
            break
    load = ScriptedLoad(cluster.url, CONVERSATIONS)
    running = load.start()
    assert load.reached(CONVERSATIONS * len(load.script) // 2).wait(180), "la charge n'a pas atteint la moitié"
    kill_started = time.time()
    cluster.kill(KILLED)
    kill_done = time.time()
    running.join(timeout=300)
    # The browser reconnects (widget.js does it on its own) with the same session secret.
    after = websocket_conversation(cluster.url, secret, "pourquoi ?")
    result = Switch(load, kill_started, kill_done, before, after)
    errors = [e for e in load.exchanges if not e.replied]
    print(
        f"\nbascule : {len(load.exchanges)} messages envoyés, {len(load.exchanges) - len(errors)} réponses ; "
        f"kill -9 de {KILLED} en {(kill_done - kill_started) * 1000:.0f} ms, "
        f"{sum(result.in_flight(e) for e in load.exchanges)} messages en cours ou envoyés pendant ce temps ; "
        f"{sum(result.in_flight(e) for e in errors)} erreurs pendant la bascule, "
        f"{sum(e.sent_at >= kill_done for e in errors)} après ; "
        f"attente maximale d'un message envoyé depuis le kill {result.longest_wait_after_ms():.0f} ms ; "
        f"{load.throughput:.1f} messages/s sur {load.wall_s:.1f} s"
    )
    return result


def logged_user_messages(cluster, prefix: str) -> Dict[str, List[str]]:
    engine = create_engine(cluster.database_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("select sender_id, data from events where type_name = 'user' and sender_id like :p order by id"),
                {"p": f"{prefix}-%"},
            ).all()
    finally:
        engine.dispose()
    logged: Dict[str, List[str]] = defaultdict(list)
    for sender, data in rows:
        logged[sender].append(json.loads(data)["text"])
    return logged


def test_errors_only_for_messages_in_flight_on_the_killed_replica(switch):
    exchanges = switch.load.exchanges
    assert len(exchanges) == CONVERSATIONS * len(switch.load.script)
    errors = [e for e in exchanges if not e.replied]
    assert [e for e in errors if not switch.in_flight(e)] == []
    # One message at most per conversation was being processed when the replica died; nginx
    # answers it with its French error, it does not send it again to the other replica.
    assert len(errors) <= CONVERSATIONS
    assert all(e.status == 503 and "renvoyez-le" in e.error for e in errors), errors[:3]
    assert {e.replica for e in errors} <= {KILLED}


def test_a_conversation_left_locked_by_the_dead_replica_waits_one_lock_lifetime_at_most(cluster, switch):
    # The dead replica's ticket is no longer kept alive: it expires after TICKET_LOCK_LIFETIME
    # (10 s) instead of Rasa's 60 s; the waiting message polls its lock every second.
    lifetime_ms = float(cluster.env["TICKET_LOCK_LIFETIME"]) * 1000
    assert switch.longest_wait_after_ms() < lifetime_ms + 5000


def test_replied_messages_are_logged_once_and_in_order(cluster, switch):
    logged = logged_user_messages(cluster, switch.load.prefix)
    errored_but_logged = 0
    for sender, exchanges in switch.load.by_sender().items():
        replied = [e.message for e in exchanges if e.replied]
        assert all(logged[sender].count(message) == 1 for message in replied), (sender, logged[sender])
        assert [m for m in logged[sender] if m in replied] == replied
        errored = [e.message for e in exchanges if not e.replied]
        assert all(logged[sender].count(message) <= 1 for message in errored)
        errored_but_logged += sum(message in logged[sender] for message in errored)
    print(f"\nmessages en erreur pourtant enregistrés (traités avant le kill, réponse perdue) : {errored_but_logged}")


def test_conversations_go_on_on_the_survivor_with_their_slots_and_history(switch):
    after = [e for e in switch.load.exchanges if e.sent_at >= switch.kill_done and e.replied]
    assert after and {e.replica for e in after} == {SURVIVOR}
    moved = 0
    for sender, exchanges in switch.load.by_sender().items():
        if any(not e.replied for e in exchanges):
            continue  # a lost message changes what the next one means: checked above
        wrong = [(e.turn, e.message, e.text[:200]) for e in exchanges if not e.correct]
        assert wrong == [], sender
        served_before = any(e.replica == KILLED and e.received_at <= switch.kill_started for e in exchanges)
        moved += served_before and any(e.sent_at >= switch.kill_done for e in exchanges)
    # With least_conn every conversation has had messages on both replicas before the kill.
    print(f"\nconversations sans erreur passées de {KILLED} à {SURVIVOR}, toutes réponses justes : {moved}")
    assert moved >= CONVERSATIONS // 3, moved


def test_a_socketio_conversation_moves_to_the_survivor(switch):
    replica_before, texts_before = switch.browser_before
    replica_after, texts_after = switch.browser_after
    assert replica_before == KILLED and any("Favoriser l'interconnaissance" in t for t in texts_before)
    assert replica_after == SURVIVOR
    assert any("**Pourquoi c'est important** — Favoriser l'interconnaissance" in t for t in texts_after), texts_after


def test_the_killed_replica_rejoins_and_takes_its_share(cluster, switch):
    cluster.restart(KILLED)
    load = ScriptedLoad(cluster.url, 10).run()
    assert all(e.correct for e in load.exchanges), [e.text[:200] for e in load.exchanges if not e.correct][:3]
    served = defaultdict(int)
    for exchange in load.exchanges:
        served[exchange.replica] += 1
    assert set(served) == {KILLED, SURVIVOR}, dict(served)
    print(f"\naprès le retour de {KILLED} : {dict(served)}")


def test_two_messages_of_one_conversation_on_two_replicas_are_processed_one_after_the_other(cluster):
    if not cluster.alive(KILLED):
        cluster.restart(KILLED)
    prefix, conversations = f"pair-{uuid.uuid4().hex[:8]}", 15
    senders = [f"{prefix}-{index}" for index in range(conversations)]
    follow_ups = [
        (0, "pourquoi ?", "**Pourquoi c'est important** — Identifier"),
        (1, "donne-moi un exemple", "**Exemple** — Identifier"),
    ]
    replies = {}

    def send(barrier: threading.Barrier, sender: str, replica: int, message: str) -> None:
        barrier.wait()
        replies[sender, message] = post(cluster.replica_url(replica), sender, message, 90)

    # One conversation at a time, so that its two messages reach the two idle replicas within
    # the same millisecond: with Rasa's own RedisLockStore, about 4 conversations in 10 lose
    # one of them from PostgreSQL this way.
    for sender in senders:
        assert post(cluster.replica_url(0), sender, "Comment identifier un chef de file ?", 60)["status"] == 200
        barrier = threading.Barrier(len(follow_ups))
        threads = [
            threading.Thread(target=send, args=(barrier, sender, replica, message))
            for replica, message, _expected in follow_ups
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for sender in senders:
        for _replica, message, expected in follow_ups:
            assert expected in str(replies[sender, message].get("text", "")), replies[sender, message]

    engine = create_engine(cluster.database_url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(
            text("select sender_id, type_name, timestamp from events where sender_id like :p order by id"),
            {"p": f"{prefix}-%"},
        ).all()
    engine.dispose()
    spans: Dict[str, List[List[float]]] = defaultdict(list)
    for sender, type_name, timestamp in rows:
        if type_name == "user":
            spans[sender].append([])
        elif type_name != "session_started" and spans[sender]:
            spans[sender][-1].append(timestamp)
    for sender in senders:
        assert len(spans[sender]) == 3, sender  # three user messages, none lost
        windows = sorted((min(s), max(s)) for s in spans[sender])
        overlapping = [(a, b) for a, b in zip(windows, windows[1:], strict=False) if a[1] > b[0]]
        assert overlapping == [], sender


def test_long_polling_socketio_clients_stay_on_one_replica(cluster):
    addresses = [f"127.0.0.{last}" for last in range(2, 8)]
    for address in addresses:
        replies = polling_conversation(cluster.url, address, "Comment identifier un chef de file ?")
        assert any("Identifier un chef de file" in reply for reply in replies), (address, replies)
    upstreams = defaultdict(set)
    access_log = (cluster.nginx_settings.directory / "access.log").read_text()
    for line in access_log.splitlines():
        match = re.match(r"(\S+) .*\"\S+ /socket\.io/\S*transport=polling\S* .* upstream=(\S+) ", line)
        if match and match.group(1) in addresses:
            upstreams[match.group(1)].add(match.group(2))
    assert set(upstreams) == set(addresses)
    assert all(len(replicas) == 1 for replicas in upstreams.values()), dict(upstreams)


class Tab:
    """A browser tab on one replica directly (socket.io client over long-polling)."""

    def __init__(self, replica_url: str, secret: str) -> None:
        import socketio

        self.replies: queue.Queue[str] = queue.Queue()
        confirmed = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("session_confirm", lambda _secret: confirmed.set())
        self.client.on("bot_uttered", lambda reply: self.replies.put(reply.get("text", "")))
        self.client.connect(replica_url, transports=["polling"])
        self.secret = secret
        self.client.emit("session_request", {"session_id": secret})
        assert confirmed.wait(10), replica_url

    def say(self, message: str) -> None:
        self.client.emit("user_uttered", {"message": message, "session_id": self.secret})

    def received(self, first_within: float) -> List[str]:
        """What arrives within ``first_within`` seconds, and what follows it at once."""
        texts = []
        try:
            texts.append(self.replies.get(timeout=first_within))
            while True:
                texts.append(self.replies.get(timeout=2))
        except queue.Empty:
            return texts

    def close(self) -> None:
        self.client.disconnect()


def test_a_reply_reaches_the_tab_connected_to_the_other_replica(cluster):
    """Two tabs of one conversation, each on its own replica: the reply to a message sent from
    one reaches the other too (python-socketio's Redis manager); another conversation's tab on
    the same replica gets nothing."""
    secret = secrets.token_urlsafe(32)
    on_first = Tab(cluster.replica_url(0), secret)
    on_second = Tab(cluster.replica_url(1), secret)
    stranger = Tab(cluster.replica_url(0), secrets.token_urlsafe(32))
    try:
        on_second.say("Comment identifier un chef de file ?")
        assert any("Identifier un chef de file" in text for text in on_second.received(60))
        assert any("Identifier un chef de file" in text for text in on_first.received(10))
        assert stranger.received(1) == []
    finally:
        for tab in (on_first, on_second, stranger):
            tab.close()
