"""Rasa's Redis lock store, made safe for several replicas (``cluster/endpoints.yml``).

Rasa 3.6's ``RedisLockStore`` keeps each conversation's ticket queue as one JSON value that
it reads, changes in Python and writes back. One process is safe (its event loop does the
read and the write without interruption), but two replicas that take a ticket for the same
conversation at the same moment both read the queue before either writes it: both get the
same ticket and process their messages at once. Measured with two messages of one
conversation sent at the same instant to two replicas, 60 conversations one after the other:
24 lost one of the two messages from PostgreSQL although both got a reply (the second save
counts the events already stored and skips as many of its own); 0 with this store. The test
``test_two_messages_of_one_conversation_on_two_replicas_are_processed_one_after_the_other``
(tests/cluster/test_failover.py) fails with Rasa's ``type: redis``. Rasa fixed it in its
commercial edition only.

This store changes the queue in a Redis transaction (WATCH/MULTI/EXEC: a write that would
overwrite another replica's is retried on the new value). It also keeps the tickets of the
messages a replica is handling alive, every third of ``TICKET_LOCK_LIFETIME``: a replica that
dies (``kill -9``) leaves tickets that expire after one lifetime instead of blocking its
conversations, and the lifetime can be short (10 s in the cluster instead of Rasa's 60 s)
without a slow message losing its lock. The ticket format and the Redis keys are Rasa's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Callable, Optional, Tuple, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Result]]


class AtomicRedisLockStore(RedisLockStore):
    """Ticket locks in Redis, changed atomically and kept alive while their message runs."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: str, change: Change) -> Result:
        """Apply ``change`` to the stored lock in one transaction; retried if another process
        wrote the lock in between. ``change`` returns (lock to store or None to delete, result)."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None or not new_lock.tickets:
                        pipe.delete(key)
                    else:
                        # The key disappears on its own once every ticket has expired.
                        last_expiry = max(ticket.expires for ticket in new_lock.tickets)
                        pipe.set(key, new_lock.dumps(), px=max(1, int((last_expiry - time.time()) * 1000)) + 1000)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def remove(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, remove)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; the lock goes with its last ticket (in the same transaction, so
        a ticket issued meanwhile by another replica is never deleted with it)."""
        self.finish_serving(conversation_id, ticket_number)

    def keep_alive(self, conversation_id: str, ticket_number: int, lock_lifetime: float) -> bool:
        """Push the ticket's expiry one lifetime ahead; False if it is no longer there."""

        def extend(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool]:
            for ticket in lock.tickets if lock is not None else ():
                if ticket.number == ticket_number:
                    ticket.expires = time.time() + lock_lifetime
                    return lock, True
            return lock, False

        return self._change(conversation_id, extend)

    async def _keep_alive_until_cancelled(self, conversation_id: str, ticket: int, lock_lifetime: float) -> None:
        while True:
            await asyncio.sleep(lock_lifetime / 3)
            try:
                if not self.keep_alive(conversation_id, ticket, lock_lifetime):
                    logger.error("Verrou de la conversation %s perdu (ticket %d expiré).", conversation_id, ticket)
                    return
            except redis.RedisError as error:
                logger.error(
                    "Verrou de la conversation %s non prolongé : Redis injoignable (%s).", conversation_id, error
                )

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        keeper = asyncio.create_task(self._keep_alive_until_cancelled(conversation_id, ticket, lock_lifetime))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            keeper.cancel()
            self.cleanup(conversation_id, ticket)
