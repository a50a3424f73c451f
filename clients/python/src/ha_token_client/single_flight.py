"""One call in flight per key; every thread that asks meanwhile shares its result or error."""

from __future__ import annotations

import threading
from typing import Callable, Dict, Generic, Hashable, Optional, TypeVar

T = TypeVar("T")


class _Flight(Generic[T]):
    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Optional[T] = None
        self.error: Optional[BaseException] = None


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._flights: Dict[Hashable, _Flight[T]] = {}

    def run(self, key: Hashable, call: Callable[[], T]) -> T:
        with self._mutex:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if leader:
            try:
                flight.result = call()
            except BaseException as error:  # shared with every waiter, then re-raised
                flight.error = error
            finally:
                with self._mutex:
                    del self._flights[key]
                flight.done.set()
        else:
            flight.done.wait()
        if flight.error is not None:
            raise flight.error
        return flight.result  # type: ignore[return-value]
