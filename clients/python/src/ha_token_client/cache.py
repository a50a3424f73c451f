"""The cached entry and the timing rules around it: how long a read is trusted, how long
it may stand in while SSM can't be read, and how failed reads back off."""

from __future__ import annotations

import hashlib
import threading
from typing import Callable, NamedTuple, Optional, Protocol

from .secret import _Secret

SHORT_TRUST = 30.0  # a fresh read already inside the expiry buffer is trusted this long at most
RETRY_MIN = 1.0  # after a failed read the next waits this long, doubling per failure...
RETRY_MAX = 60.0  # ...up to this


class Entry(NamedTuple):
    fresh_until: float  # first, so the cache-hit path can index it (faster than an attribute)
    token: _Secret  # masked in repr: vars(client) and recorded locals don't show it
    version: Optional[int]
    usable_until: float  # exp minus the buffer: it may stand in this long while SSM can't be read


EMPTY = Entry(float("-inf"), _Secret(""), None, float("-inf"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def trusted_until(now: float, exp: float, ttl: float, buffer: float) -> float:
    """A read is trusted for the TTL, never past ``exp`` minus the buffer; a token already
    inside the buffer is still valid, so it is used, but looked at again soon."""
    fresh_until = min(now + ttl, exp - buffer)
    if fresh_until <= now:
        fresh_until = min(now + min(ttl, SHORT_TRUST), exp)
    return fresh_until


def retry_delay(failures: int) -> float:
    """Seconds before the next read after ``failures`` failed reads in a row."""
    return min(RETRY_MAX, RETRY_MIN * 2 ** max(0, failures - 1))


class Cancellable(Protocol):
    def cancel(self) -> None: ...


# Runs a callable once after a delay in seconds: the background refresh's timer, injectable
# for tests.
Scheduler = Callable[[float, Callable[[], None]], Cancellable]


def thread_timer(delay: float, call: Callable[[], None]) -> Cancellable:
    timer = threading.Timer(delay, call)
    timer.daemon = True
    timer.start()
    return timer
