"""The one store runner of the command line, and the one place where an error becomes a message and an exit status.

Every command that uses the store opens it with :func:`store_session`::

    with store_session() as store:
        ...

which opens the store given by ``--db`` (else ``$DIANTA_DB``, else ``./dianta-store``) and ``--lake``, always
closes it, and turns a :class:`~dianta.errors.DiantaError` and every operational failure (the ledger locked or
its server gone, a disk full or failing, a lake file missing or damaged: :func:`dianta.ledger.failures.translate`)
into the message of :func:`fail` and the exit status of INTERFACE.md (1 the input was refused, 2 usage error,
3 the store cannot be used now). The root group :class:`Commands` does the same for errors raised outside a
session (a command that opens no store, or an option checked before the store is opened). Any other exception
is a defect and keeps its traceback, for the report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from dianta.cli._output import err, print_findings
from dianta.errors import DiantaError, InputRefused, report_text

if TYPE_CHECKING:
    import sqlalchemy as sa

    from dianta.ledger.store import Store

DEFAULT_DB = "dianta-store"


class State:
    """The root options of this invocation (set by the root callback)."""

    db: str = DEFAULT_DB
    lake: str | None = None


def set_store_options(db: str | None, lake: str | None) -> None:
    """Remember ``--db`` (else ``$DIANTA_DB``, else ``./dianta-store``) and ``--lake`` for :func:`store_session`."""
    State.db = db or os.environ.get("DIANTA_DB") or DEFAULT_DB
    State.lake = lake


def fail(exc: DiantaError) -> typer.Exit:
    """Print ``exc`` as the command line shows errors (the findings of a refused batch first, then ``refused:``
    or ``failed:``, the English message and the Chinese one) and return the exit status to raise."""
    if isinstance(exc, InputRefused):
        print_findings(exc.findings, State.db)
    heading, _, text = report_text(exc).partition(": ")
    # never folded (messages are searched for), never styled or emoji-replaced from the message's own text
    err.print(f"[bold red]{heading}:[/] {escape(text)}", soft_wrap=True, emoji=False)
    return typer.Exit(exc.exit_code)


def as_exit(exc: BaseException, store: Store | None = None) -> typer.Exit | None:
    """The exit status for ``exc`` once its message is printed, or None when ``exc`` is neither a Dianta error
    nor an operational failure (a defect: the caller lets it go on, with its traceback). ``store``: the store the
    work used, still open (its folders and ledger make the message precise)."""
    if isinstance(exc, DiantaError):
        return fail(exc)
    if not isinstance(exc, Exception) or isinstance(exc, (typer.Exit, typer.Abort, typer.TyperException)):
        return None
    from dianta.ledger.failures import translate

    found = translate(exc, store=store)
    return None if found is None else fail(found)


def open_store() -> Store:
    """The store of ``--db``/``--lake``; says so first when it was opened read-only (a full disk)."""
    from dianta.ledger.store import Store

    store = Store(State.db, lake=State.lake)
    if store.warning:  # opened read-only on a full disk: say so before anything is printed
        en, zh = store.warning
        err.print(f"[yellow]warning:[/] {escape(en)}\n{escape(zh)}", soft_wrap=True)
    return store


@contextmanager
def store_session() -> Iterator[Store]:
    """The store of ``--db``/``--lake``, closed afterwards whatever happens; an error of the work (or of opening
    the store) that :func:`as_exit` knows is printed and becomes the exit status."""
    store: Store | None = None
    try:
        store = open_store()
        yield store
    except Exception as exc:
        done = as_exit(exc, store)
        if done is None:
            raise
        raise done from None
    finally:
        if store is not None:
            store.close()


def audit(store: Store, action: str, resource: str, *, why: str | None = None,
          detail: dict[str, Any] | None = None, connection: sa.Connection | None = None) -> None:
    """Record what a local command did in the audit log (in ``connection``'s transaction when given, so it
    commits with the change): whoever runs it on the operator's machine acts as the operator."""
    from dianta.ledger.store import current_user
    from dianta.security.audit import record
    from dianta.security.principal import local_operator

    record(store, principal=local_operator(current_user()), action=action, resource=resource, why=why,
           detail=detail, connection=connection)


class Commands(TyperGroup):
    """The root command group: an error raised outside :func:`store_session` (an option checked before the store
    is opened, a command that opens no store) becomes a message and an exit status by :func:`as_exit`, as inside
    it; anything else keeps its traceback."""

    def invoke(self, ctx: Any) -> Any:  # Typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except Exception as exc:
            done = as_exit(exc)
            if done is None:
                raise
            raise done from None
