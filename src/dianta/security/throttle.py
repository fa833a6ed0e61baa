"""Brute-force protection for password login: failed attempts counted per user name and per client address
in a sliding window; over the limit, login is refused (HTTP 429 with Retry-After) until the window moves on.

The counts live in the serving process (one ``dianta serve`` process per store, as deployed here); behind
several processes each counts its own, which still bounds guessing per process."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from dianta.errors import DiantaError


class TooManyAttempts(DiantaError):
    """Too many failed logins: wait ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class LoginThrottle:
    window_s: float = 900.0
    per_user: int = 5
    per_client: int = 30
    clock: object = field(default=time.monotonic)
    _failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def check(self, username: str, client: str) -> None:
        """Refuse before the password is even checked when either count is at its limit."""
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            for key, limit in ((f"user:{username.lower()}", self.per_user), (f"client:{client}", self.per_client)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    wait = int(q[0] + self.window_s - now) + 1
                    raise TooManyAttempts(f"too many failed logins for this {key.split(':')[0]}; try again in "
                                          f"{wait} s", retry_after=wait)

    def failed(self, username: str, client: str) -> None:
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            for key in (f"user:{username.lower()}", f"client:{client}"):
                self._recent(key, now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username.lower()}", None)
