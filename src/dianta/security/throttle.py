"""Brute-force and flood protection for credentials: password logins and API keys (issue 12: "Login
throttling", "API-key flooding").

Failed attempts are counted in a sliding window (15 minutes) under three keys, each with its own limit:

* the *subject* (a user name, or an API key's id) from one client address: a low limit (5). A stranger who
  guesses a user's password is stopped here, and only at their own address: the user logs in from elsewhere;
* the subject from every address: a higher ceiling (20) and beyond it an exponential backoff, so that guessing
  from many addresses slows down (1 s after the 20th failure, 2 s after the 21st, … up to the window) without
  locking the user out for long;
* the client address, whatever the subject (30): one address spraying passwords over many users.

Over a limit, :meth:`Throttle.check` refuses before the credential is even looked at (HTTP 429 with
Retry-After). The client address is the TCP peer unless `dianta serve --forwarded-allow-ips` names the
proxies whose ``X-Forwarded-For`` is believed: a header from anyone else cannot change the counted address.

Refusals are audited; so that a flood of cheap refusals cannot flood the audit log (each entry takes the
chain's lock), :meth:`Throttle.audit_due` lets through the first event of a kind per address per minute and
counts the others, which the next written entry reports as ``suppressed``.

The counts live in the serving process (one ``dianta serve`` process per store, as deployed here); behind
several processes each counts its own, which still bounds guessing per process. Keys whose failures have all
left the window are dropped once there are many, so random subjects cannot grow the memory without bound."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from dianta.errors import DiantaError
from dianta.messages import error_text

#: what is counted, and what a subject is (``Throttle.what``, ``Throttle.subject_is``), in Chinese
WHAT_ZH = {"failed logins": "登录失败", "failed API keys": "API 密钥验证失败"}
SUBJECT_ZH = {"user name": "用户名", "API key": "API 密钥"}
#: subjects are counted by their first characters (a valid user name has at most 64): a huge name costs no memory
MAX_SUBJECT_CHARS = 128


class TooManyAttempts(DiantaError):
    """Too many failed attempts: wait ``retry_after`` seconds (HTTP 429 with Retry-After)."""

    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int, *, zh: str | None = None, code: str | None = None):
        super().__init__(message, zh=zh, code=code)
        self.retry_after = retry_after


@dataclass
class Throttle:
    """Failed attempts per (subject × address), per subject (a ceiling, then backoff) and per address.

    ``what``: the attempts counted and ``subject_is`` what a subject is, for messages ("failed logins",
    "user name"); ``window_s`` [s]: how long a failure counts;
    ``per_pair``, ``per_subject``, ``per_client``: the limits in the window; ``backoff_s`` [s]: the wait after
    the ``per_subject``-th failure of a subject, doubled by each further one (at most ``window_s``);
    ``audit_every_s`` [s]: at most one audited event per kind and address this often; ``max_keys``: prune
    expired counts when there are more keys than this; ``clock``: monotonic seconds (tests pass their own)."""

    what: str = "failed logins"
    subject_is: str = "user name"
    window_s: float = 900.0
    per_pair: int = 5
    per_subject: int = 20
    per_client: int = 30
    backoff_s: float = 1.0
    audit_every_s: float = 60.0
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _failures: dict[tuple[str, ...], deque[float]] = field(default_factory=dict)
    _audits: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    _prune_at: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _keys(self, subject: str | None, client: str) -> list[tuple[str, ...]]:
        if subject is None:  # e.g. a malformed API key: only its address is counted
            return [("client", client)]
        s = subject.lower()[:MAX_SUBJECT_CHARS]
        return [("pair", s, client), ("subject", s), ("client", client)]

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def _wait(self, key: tuple[str, ...], now: float) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        q = self._recent(key, now)
        if key[0] == "subject":
            if len(q) < self.per_subject:
                return 0.0
            delay = min(self.backoff_s * 2.0 ** min(len(q) - self.per_subject, 64), self.window_s)
            return max(q[-1] + delay - now, 0.0)
        limit = self.per_pair if key[0] == "pair" else self.per_client
        return q[0] + self.window_s - now if len(q) >= limit else 0.0

    def check(self, subject: str | None, client: str) -> None:
        """Refuse (TooManyAttempts) when ``subject`` from ``client`` is over a limit; call it before the
        credential is checked. ``subject``: the user name or key id tried (None when there is none)."""
        now = self.clock()
        with self._lock:
            waits = {key[0]: self._wait(key, now) for key in self._keys(subject, client)}
        kind, wait = max(waits.items(), key=lambda kv: kv[1])
        if wait <= 0:
            return
        seconds = max(math.ceil(wait), 1)
        whom = {"pair": f"for this {self.subject_is} from your address", "subject": f"for this {self.subject_is}",
                "client": "from your address"}[kind]
        subject_zh = SUBJECT_ZH.get(self.subject_is, self.subject_is)
        whom_zh = {"pair": f"该{subject_zh}从您的地址", "subject": f"该{subject_zh}", "client": "来自您的地址"}[kind]
        en, zh = error_text("too_many_failures", what=self.what, whom=whom, seconds=seconds,
                            what_zh=WHAT_ZH.get(self.what, self.what), whom_zh=whom_zh)
        raise TooManyAttempts(en, retry_after=seconds, zh=zh, code="too_many_failures")

    def failed(self, subject: str | None, client: str) -> None:
        """Count a failed attempt of ``subject`` (None: no usable subject) from ``client``."""
        now = self.clock()
        with self._lock:
            for key in self._keys(subject, client):
                q = self._failures.get(key)
                if q is None:
                    q = self._failures[key] = deque(maxlen=self.per_subject + self.per_client + 64)
                q.append(now)
            if len(self._failures) > max(self.max_keys, self._prune_at):
                self._prune(now)

    def succeeded(self, subject: str, client: str) -> None:
        """The right credential from ``client``: its own failures for ``subject`` are forgiven. The subject's
        failures from everywhere still count (a stranger's guesses elsewhere go on being slowed down)."""
        with self._lock:
            self._failures.pop(("pair", subject.lower()[:MAX_SUBJECT_CHARS], client), None)

    def audit_due(self, kind: str, client: str) -> int | None:
        """Whether to write an audit entry for an event of ``kind`` (e.g. "login.refused") from ``client``:
        None when one was written in the last ``audit_every_s``, else the number of such events not written
        since the last one (0 for the first)."""
        now = self.clock()
        with self._lock:
            written_at, skipped = self._audits.get((kind, client), (-math.inf, 0))
            if now - written_at < self.audit_every_s:
                self._audits[(kind, client)] = (written_at, skipped + 1)
                return None
            self._audits[(kind, client)] = (now, 0)
            if len(self._audits) > max(self.max_keys, self._prune_at):
                self._prune(now)
            return skipped

    def _prune(self, now: float) -> None:
        """Drop counts that have left the window (called with the lock held); prune again only when the
        table has doubled, so a flood of live keys costs amortised constant time."""
        for key in [k for k, q in self._failures.items() if not q or q[-1] <= now - self.window_s]:
            del self._failures[key]
        for akey in [k for k, (at, _) in self._audits.items() if at <= now - self.audit_every_s]:
            del self._audits[akey]
        self._prune_at = 2 * max(len(self._failures), len(self._audits))


def login_throttle() -> Throttle:
    """The throttle of password logins: 5 failures per user and address, 20 per user before backoff, 30 per
    address, in 15 minutes."""
    return Throttle(what="failed logins")


def api_key_throttle() -> Throttle:
    """The throttle of API keys: like logins per key id, but 60 failures per address (machine clients retry;
    an unknown key costs only an indexed lookup, so the address limit guards against floods, not guessing)."""
    return Throttle(what="failed API keys", subject_is="API key", per_client=60)
