"""The one error hierarchy of Dianta. Every error a user can cause is a :class:`DiantaError`.

The CLI maps ``exit_code`` onto the process exit status (INTERFACE.md: 1 input refused, 2 usage; 3, an extra
code, the store cannot be used now: :class:`StoreUnavailable`). Failures of what Dianta runs on (the ledger's
database, the disks, the lake's files) are translated into these errors by :mod:`dianta.ledger.failures`, which
the CLI and the API both use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from dianta.messages import ERRORS, error_text

if TYPE_CHECKING:
    from dianta.findings import Finding


class DiantaError(Exception):
    """Base of every error Dianta reports to a user (never shown as a traceback). ``str()`` is the English
    message; ``message_zh`` the Chinese one (printed below the English one), given as ``zh=`` or set by the class;
    ``code`` says what went wrong in one word of :data:`dianta.messages.ERRORS` (the API sends it with both
    texts). Raise an error of the catalogue with :meth:`of` (``NotFound.of("no_user", user_id=7)``); an error
    whose text is given in place names both languages (``UsageError(en, zh=zh)``) and has its class's ``code``.
    Every raise of a Dianta error has a Chinese text (tests/test_error_catalogue.py reads the source).

    An error that resembles a builtin subclasses it too (STYLE.md 13: :class:`UsageError` and
    :class:`ReferenceDataError` are each a ``ValueError``), so code that catches the builtin keeps working where a
    builtin error became a Dianta one."""

    exit_code = 1
    message_zh: str | None = None
    #: what went wrong, a code of :data:`dianta.messages.ERRORS` (each class has its own; :meth:`of` sets one)
    code = "error"

    def __init__(self, *args: object, zh: str | None = None, code: str | None = None) -> None:
        super().__init__(*args)
        if zh is not None:
            self.message_zh = zh
        if code is not None:
            self.code = code

    @classmethod
    def of(cls, code: str, /, *args: object, **values: object) -> Self:
        """The error of catalogue entry ``code``: its English and Chinese templates filled from ``values``;
        ``args`` follow the message (``InputRefused.of("batch_refused", findings, folder=…)``)."""
        en, zh = error_text(code, **values)
        return cls(en, *args, zh=zh, code=code)

    def texts(self) -> tuple[str, str]:
        """The English and the Chinese message; an error raised without a Chinese one (a defect the source test
        catches) says its class's meaning in Chinese."""
        return str(self), self.message_zh or ERRORS[type(self).code][1]


def report_text(exc: DiantaError) -> str:
    """How the command line shows ``exc``: ``refused:`` (what the input or the stored data must put right) or
    ``failed:`` (:class:`StoreUnavailable`: the store cannot be used now), the English message, and the Chinese
    one on the next line where the error has it."""
    heading = "failed" if isinstance(exc, StoreUnavailable) else "refused"
    en, zh = exc.texts()
    return f"{heading}: {en}\n{zh}"


class UsageError(DiantaError, ValueError):
    """The command was called wrongly (unknown option value, missing folder, …)."""

    code = "usage"

    exit_code = 2


class InputRefused(DiantaError):
    """A batch (or part of it) was refused; ``findings`` lists every reason."""

    code = "input_refused"

    def __init__(self, message: str, findings: list[Finding], *, zh: str | None = None, code: str | None = None):
        super().__init__(message, zh=zh, code=code)
        self.findings = findings
        #: the id the refused batch is kept under (an upload's, dianta.ingest.refused), else None
        self.batch_id: int | None = None


class ReferenceDataError(DiantaError, ValueError):
    """A methodology profile, factor table or code table is missing, malformed or incomplete."""

    code = "reference_data"


class MissingFactorError(ReferenceDataError):
    """No emission factor for (kind, area) in or before the activity year (METHODOLOGY.md §2)."""

    code = "missing_factor"


class StoreError(DiantaError):
    """The store cannot be opened or is inconsistent."""

    code = "store"


class StoreUnavailable(StoreError):
    """The store cannot be used now because of what it runs on: another process holds the ledger's lock, the
    PostgreSQL server cannot be reached, a disk is full, failing or read-only, a file may not be written.
    Nothing was changed (the work's transaction rolled back); the message, in English and Chinese, says what
    happened and what to do, and the command can be run again once the cause is gone. Exit status 3 (an extra
    code: scripts can tell "try again later" from "the input was refused"); HTTP 503, with Retry-After when
    ``retry_after`` [s] is set (a lock or an unreachable server: trying again shortly may succeed)."""

    code = "store_unavailable"

    exit_code = 3

    def __init__(self, message_en: str, message_zh: str, *, retry_after: int | None = None, code: str | None = None):
        super().__init__(message_en, zh=message_zh, code=code)
        self.retry_after = retry_after


class LedgerBusy(StoreUnavailable):
    """Another process held the ledger's lock longer than Dianta waits (SQLite), or PostgreSQL gave up a
    transaction that clashed with another one."""

    code = "ledger_busy"


class LedgerUnreachable(StoreUnavailable):
    """The PostgreSQL server of the ledger refused the connection, closed it, or is shutting down."""

    code = "ledger_unreachable"


class DiskFull(StoreUnavailable):
    """No space left (or the disk quota used up) where the ledger, the lake, its staging or temporary files
    are written."""

    code = "disk_full"


class StorageFailure(StoreUnavailable):
    """A disk reported an I/O error, is mounted read-only, or a file of the store may not be read or written."""

    code = "storage_failure"


class EngineUnavailable(StoreUnavailable):
    """The engine a computation was sent to cannot be used now: the Spark master is unreachable, gave the
    application no executor in time, or the Spark driver did not start (engine/spark_engine.py)."""

    code = "engine_unavailable"


class LakeCorrupt(StoreError):
    """A lake file the ledger refers to is missing, or differs in size or SHA-256 from what was recorded when
    it was published (or has no digest recorded yet): nothing is read from it (issue 13, dianta.ledger.lake)."""

    code = "lake_corrupt"

    message_zh = ("数据湖中有账本引用的文件缺失或已被改动（文件名见上文英文说明），未读取其中任何内容。请从存储的备份中"
                  "取回这些文件（或用 dianta restore 将备份恢复为新的存储），然后重新运行该命令")

    def __init__(self, message: str, paths: list[str]):
        super().__init__(message)
        self.paths = paths  # the damaged files, relative to the lake root


class AuthError(DiantaError):
    """Not authenticated: no, a wrong, an expired or a revoked credential (HTTP 401)."""

    code = "not_authenticated"


class Forbidden(DiantaError):
    """Authenticated but not allowed: role, tenant or consent says no (HTTP 403)."""

    code = "forbidden"


class NotFound(DiantaError):
    """The thing asked for does not exist (HTTP 404)."""

    code = "not_found"


class Conflict(DiantaError):
    """The request clashes with what exists (a user name taken, a consent already revoked; HTTP 409)."""

    code = "conflict"
