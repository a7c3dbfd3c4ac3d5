"""What a function builds once per process (settings, clients, services), built on first use.

Every such value is a `Lazy`: tests and the local stack hand in their own with `use`, and `reset_all`
forgets every one of them at once, so that the local stack can wire any function of the topology
without knowing its modules."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_ALL: weakref.WeakSet[Lazy[object]] = weakref.WeakSet()
_RESETS: list[Callable[[], object]] = []


def on_reset(forget: Callable[[], object]) -> Callable[[], object]:
    """Register another way of forgetting (a `functools.cache`'s `cache_clear`) with `reset_all`."""
    _RESETS.append(forget)
    return forget


class Lazy(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()
        _ALL.add(self)  # type: ignore[arg-type]

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value

    def use(self, value: T | None) -> None:
        """Install a value (tests, the local stack); None builds it again from the environment."""
        with self._lock:
            self._value = value


def reset_all() -> None:
    """Forget every lazily built value of every function in this process."""
    for lazy in list(_ALL):
        lazy.use(None)
    for forget in _RESETS:
        forget()
