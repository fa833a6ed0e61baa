"""The one error hierarchy of Dianta. Every error a user can cause is a :class:`DiantaError`.

The CLI maps ``exit_code`` onto the process exit status (INTERFACE.md: 1 input refused, 2 usage).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dianta.findings import Finding


class DiantaError(Exception):
    """Base of every error Dianta reports to a user (never shown as a traceback)."""

    exit_code = 1


class UsageError(DiantaError):
    """The command was called wrongly (unknown option value, missing folder, …)."""

    exit_code = 2


class InputRefused(DiantaError):
    """A batch (or part of it) was refused; ``findings`` lists every reason."""

    def __init__(self, message: str, findings: list[Finding]):
        super().__init__(message)
        self.findings = findings


class ReferenceDataError(DiantaError):
    """A methodology profile, factor table or code table is missing, malformed or incomplete."""


class MissingFactorError(ReferenceDataError):
    """No emission factor for (kind, area) in or before the activity year (METHODOLOGY.md §2)."""


class StoreError(DiantaError):
    """The store cannot be opened or is inconsistent."""


class AuthError(DiantaError):
    """Not authenticated: no, a wrong, an expired or a revoked credential (HTTP 401)."""


class Forbidden(DiantaError):
    """Authenticated but not allowed: role, tenant or consent says no (HTTP 403)."""


class NotFound(DiantaError):
    """The thing asked for does not exist (HTTP 404)."""


class Conflict(DiantaError):
    """The request clashes with what exists (a user name taken, a consent already revoked; HTTP 409)."""
