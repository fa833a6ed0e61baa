"""The command line (INTERFACE.md is its contract). An adapter: it only parses, calls and prints.

One module per kind of work, each with its commands at module level: :mod:`.data` (ingest, compute, status,
history, export, quarantine), :mod:`.store` (backup, restore, lake), :mod:`.serve`, :mod:`.demo`,
:mod:`.admin` (admin, audit), :mod:`.reports`, :mod:`.finance` and :mod:`.reference` (factors). Every command that
uses the store opens it with :func:`dianta.cli._runner.store_session`, which closes it and turns errors into
messages and exit statuses.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dianta.cli import admin, data, demo, finance, reference, reports, serve, store
from dianta.cli._runner import Commands, set_store_options

app = typer.Typer(cls=Commands, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Dianta (电碳): enterprise electricity-carbon accounts for banks.")


@app.callback()
def main(db: Annotated[str | None, typer.Option("--db", help="store folder (created when new) or a "
                                                "postgresql:// URL; default: $DIANTA_DB, else ./dianta-store")] = None,
         lake: Annotated[str | None, typer.Option("--lake", help="with a postgresql:// store: the folder of its "
                                                  "Parquet lake; default: $DIANTA_LAKE, else ./dianta-lake")] = None
         ) -> None:
    set_store_options(db, lake)


# the commands (their modules' command-only apps are merged into the root), then the groups, in the order of
# `dianta --help`
for commands in (reports.app, finance.app, data.app, reference.app, store.app, serve.app, demo.app):
    app.add_typer(commands)
app.add_typer(data.export_app, name="export")
app.add_typer(data.quarantine_app, name="quarantine")
app.add_typer(admin.admin_app, name="admin")
app.add_typer(admin.audit_app, name="audit")
app.add_typer(store.lake_app, name="lake")
app.add_typer(finance.policy_app, name="policy")
app.add_typer(finance.loan_app, name="loan")
app.add_typer(finance.programme_app, name="programme")
app.add_typer(finance.alerts_app, name="alerts")

__all__ = ["app"]
