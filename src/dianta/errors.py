"""The one error hierarchy of Dianta. Every error a user can cause is a :class:`DiantaError`.

The CLI maps ``exit_code`` onto the process exit status (INTERFACE.md: 1 input refused, 2 usage; 3, an extra
code, the store cannot be used now: :class:`StoreUnavailable`). Failures of what Dianta runs on (the ledger's
database, the disks, the lake's files) are translated into these errors by :mod:`dianta.ledger.failures`, which
the CLI and the API both use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dianta.findings import Finding


class DiantaError(Exception):
    """Base of every error Dianta reports to a user (never shown as a traceback). ``str()`` is the English
    message; ``message_zh`` the Chinese one where the error has it (printed below the English one), given as
    ``zh=`` or set by the class.

    An error that resembles a builtin subclasses it too (STYLE.md 13: :class:`UsageError` and
    :class:`ReferenceDataError` are each a ``ValueError``), so code that catches the builtin keeps working where a
    builtin error became a Dianta one."""

    exit_code = 1
    message_zh: str | None = None

    def __init__(self, *args: object, zh: str | None = None) -> None:
        super().__init__(*args)
        if zh is not None:
            self.message_zh = zh


def report_text(exc: DiantaError) -> str:
    """How the command line shows ``exc``: ``refused:`` (what the input or the stored data must put right) or
    ``failed:`` (:class:`StoreUnavailable`: the store cannot be used now), the English message, and the Chinese
    one on the next line where the error has it."""
    heading = "failed" if isinstance(exc, StoreUnavailable) else "refused"
    return f"{heading}: {exc}" + (f"\n{exc.message_zh}" if exc.message_zh else "")


class UsageError(DiantaError, ValueError):
    """The command was called wrongly (unknown option value, missing folder, …)."""

    exit_code = 2


class InputRefused(DiantaError):
    """A batch (or part of it) was refused; ``findings`` lists every reason."""

    def __init__(self, message: str, findings: list[Finding]):
        super().__init__(message)
        self.findings = findings
        #: the id the refused batch is kept under (an upload's, dianta.ingest.refused), else None
        self.batch_id: int | None = None


class ReferenceDataError(DiantaError, ValueError):
    """A methodology profile, factor table or code table is missing, malformed or incomplete."""


class MissingFactorError(ReferenceDataError):
    """No emission factor for (kind, area) in or before the activity year (METHODOLOGY.md §2)."""


class StoreError(DiantaError):
    """The store cannot be opened or is inconsistent."""


class StoreUnavailable(StoreError):
    """The store cannot be used now because of what it runs on: another process holds the ledger's lock, the
    PostgreSQL server cannot be reached, a disk is full, failing or read-only, a file may not be written.
    Nothing was changed (the work's transaction rolled back); the message, in English and Chinese, says what
    happened and what to do, and the command can be run again once the cause is gone. Exit status 3 (an extra
    code: scripts can tell "try again later" from "the input was refused"); HTTP 503, with Retry-After when
    ``retry_after`` [s] is set (a lock or an unreachable server: trying again shortly may succeed)."""

    exit_code = 3

    def __init__(self, message_en: str, message_zh: str, *, retry_after: int | None = None):
        super().__init__(message_en)
        self.message_zh = message_zh
        self.retry_after = retry_after


class LedgerBusy(StoreUnavailable):
    """Another process held the ledger's lock longer than Dianta waits (SQLite), or PostgreSQL gave up a
    transaction that clashed with another one."""


class LedgerUnreachable(StoreUnavailable):
    """The PostgreSQL server of the ledger refused the connection, closed it, or is shutting down."""


class DiskFull(StoreUnavailable):
    """No space left (or the disk quota used up) where the ledger, the lake, its staging or temporary files
    are written."""


class StorageFailure(StoreUnavailable):
    """A disk reported an I/O error, is mounted read-only, or a file of the store may not be read or written."""


class EngineUnavailable(StoreUnavailable):
    """The engine a computation was sent to cannot be used now: the Spark master is unreachable, gave the
    application no executor in time, or the Spark driver did not start (engine/spark_engine.py)."""


class LakeCorrupt(StoreError):
    """A lake file the ledger refers to is missing, or differs in size or SHA-256 from what was recorded when
    it was published (or has no digest recorded yet): nothing is read from it (issue 13, dianta.ledger.lake)."""

    message_zh = ("数据湖中有账本引用的文件缺失或已被改动（文件名见上文英文说明），未读取其中任何内容。请从存储的备份中"
                  "取回这些文件（或用 dianta restore 将备份恢复为新的存储），然后重新运行该命令")

    def __init__(self, message: str, paths: list[str]):
        super().__init__(message)
        self.paths = paths  # the damaged files, relative to the lake root


class AuthError(DiantaError):
    """Not authenticated: no, a wrong, an expired or a revoked credential (HTTP 401)."""


class Forbidden(DiantaError):
    """Authenticated but not allowed: role, tenant or consent says no (HTTP 403)."""


class NotFound(DiantaError):
    """The thing asked for does not exist (HTTP 404)."""


class Conflict(DiantaError):
    """The request clashes with what exists (a user name taken, a consent already revoked; HTTP 409)."""
