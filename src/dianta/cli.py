"""The command line (INTERFACE.md is its contract). An adapter: it only parses, calls and prints."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from dianta.errors import DiantaError, InputRefused, UsageError, report_text
from dianta.findings import Finding


class Commands(TyperGroup):
    """The root command group: the one place where any command's error becomes a message and an exit status
    (issue 13). A DiantaError a command does not handle itself, and every operational failure (the ledger
    locked or its server gone, a disk full or failing, a lake file missing or damaged) translated by
    :func:`dianta.ledger.failures.translate`, is printed as :func:`_fail` prints it: never a traceback. Any
    other exception is a defect and keeps its traceback, for the report."""

    def invoke(self, ctx: Any) -> Any:  # Typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exit statuses and usage errors (exit 2)
            raise
        except DiantaError as exc:
            raise _fail(exc) from None
        except Exception as exc:
            from dianta.ledger.failures import translate

            found = translate(exc, store=State.store)
            if found is None:
                raise
            raise _fail(found) from None


app = typer.Typer(cls=Commands, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Dianta (电碳): enterprise electricity-carbon accounts for banks.")
export_app = typer.Typer(no_args_is_help=True, help="Export published results.")
quarantine_app = typer.Typer(no_args_is_help=True, help="Rows held back by `ingest --partial`.")
app.add_typer(export_app, name="export")
app.add_typer(quarantine_app, name="quarantine")

# a pipe or a CI log gets 160 columns rather than Rich's 80, so codes and reasons are not folded
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
MAX_PRINTED = 200


class State:
    db: str = "dianta-store"
    lake: str | None = None
    store: Any = None  # the Store opened last (the runner names its files when a failure is translated)


@app.callback()
def main(db: Annotated[str | None, typer.Option("--db", help="store folder (created when new) or a "
                                                "postgresql:// URL; default: $DIANTA_DB, else ./dianta-store")] = None,
         lake: Annotated[str | None, typer.Option("--lake", help="with a postgresql:// store: the folder of its "
                                                  "Parquet lake; default: $DIANTA_LAKE, else ./dianta-lake")] = None
         ) -> None:
    State.db = db or os.environ.get("DIANTA_DB") or "dianta-store"
    State.lake = lake


def _store():  # noqa: ANN202 - imported lazily so `--help` stays fast
    from dianta.ledger.store import Store

    State.store = store = Store(State.db, lake=State.lake)
    if store.warning:  # opened read-only on a full disk: say so before anything is printed
        en, zh = store.warning
        err.print(f"[yellow]warning:[/] {escape(en)}\n{escape(zh)}", soft_wrap=True)
    return store


def _mount_admin() -> None:
    from dianta.cli_admin import make_admin_apps, make_lake_app

    admin_app, audit_app = make_admin_apps(_store)
    app.add_typer(admin_app, name="admin", help="Organisations, users, API keys and consents (operator).")
    app.add_typer(audit_app, name="audit", help="The audit log: list it, verify its hash chain, write checkpoints.")
    app.add_typer(make_lake_app(_store), name="lake", help="The Parquet lake: check every file against the digest "
                  "recorded when it was published.")


_mount_admin()


def _audit(store, action: str, resource: str, *, why: str | None = None,  # noqa: ANN001 - a Store
           detail: dict[str, object] | None = None, connection=None) -> None:  # noqa: ANN001
    """Local commands are audited too: whoever runs them on the operator's machine acts as the operator."""
    from dianta.ledger.store import current_user
    from dianta.security import audit
    from dianta.security.principal import local_operator

    audit.record(store, principal=local_operator(current_user()), action=action, resource=resource, why=why,
                 detail=detail, connection=connection)


def _mount_reports() -> None:
    from dianta import cli_finance, cli_reports

    for module in (cli_reports, cli_finance):
        module.register(app, _store, _audit, _fail, console, err)


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task("starting")
        yield lambda msg: progress.update(task, description=msg)


def _fail(exc: DiantaError) -> typer.Exit:
    if isinstance(exc, InputRefused):
        _print_findings(exc.findings)
    heading, _, text = report_text(exc).partition(": ")
    err.print(f"[bold red]{heading}:[/] {escape(text)}", soft_wrap=True)  # never folded: messages are searched for
    return typer.Exit(exc.exit_code)


_mount_reports()


def _print_findings(findings: list[Finding]) -> None:
    if not findings:
        return
    from dianta.glossary import TABLE_ORDER

    order = {name: i for i, name in enumerate(TABLE_ORDER)}
    ordered = sorted(findings, key=lambda f: (f.severity != "error", order.get(f.table, -1), f.row or 0,
                                              f.column or ""))
    table = Table(expand=True)
    for header in ("", "file", "row", "column", "value", "what to do / 如何处理"):
        table.add_column(header, overflow="fold")
    for f in ordered[:MAX_PRINTED]:
        mark = "[red]error[/]" if f.severity == "error" else "[yellow]warning[/]"
        table.add_row(mark, f.file or f.table, "" if f.row is None else str(f.row), f.column or "",
                      (f.value or "")[:40], f"{f.message_en}\n{f.message_zh}")
    err.print(table)
    if len(ordered) > MAX_PRINTED:
        path = Path(State.db) / "findings" / "last-findings.csv"
        _write_findings_csv(ordered, path)
        err.print(f"{len(ordered) - MAX_PRINTED} more findings; every finding is in {path}")


def _write_findings_csv(findings: list[Finding], path: Path) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        fields = ["severity", "code", "file", "table", "row", "column", "value", "message_en", "message_zh"]
        w.writerow(fields)
        for x in findings:
            w.writerow([getattr(x, k) for k in fields])


@app.command()
def ingest(folder: Annotated[Path, typer.Argument(help="batch folder (DATA-REQUIREMENTS.md)")],
           partial: Annotated[bool, typer.Option(help="apply the valid rows, quarantine the rest")] = False,
           reason: Annotated[str | None, typer.Option(help="why (kept with every correction)")] = None,
           findings_csv: Annotated[Path | None, typer.Option("--findings", help="also write every finding "
                                                             "to this CSV file")] = None) -> None:
    """Load one batch folder: refused as a whole (exit 1) unless every row passes, or --partial."""
    from dianta.ingest.apply import ingest_batch

    try:
        store = _store()

        def audited(tx, batch_id: int, status: str) -> None:  # noqa: ANN001 - the entry commits with the batch
            _audit(store, "batch.ingest", f"batch:{batch_id}", why=reason,
                   detail={"status": status, "folder": str(folder)}, connection=tx)

        with _progress() as step:
            result = ingest_batch(store, folder, partial=partial, reason=reason, progress=step,
                                  in_transaction=audited)
    except InputRefused as exc:
        if findings_csv:
            _write_findings_csv(exc.findings, findings_csv)
        raise _fail(exc) from None
    except DiantaError as exc:
        raise _fail(exc) from None
    if findings_csv:
        _write_findings_csv(result.findings, findings_csv)
    _print_findings(result.findings)
    table = Table("table", "new", "unchanged", "corrected", "quarantined", title=f"batch {folder}")
    for name, c in result.counts.items():
        table.add_row(name, f"{c.new:,}", f"{c.unchanged:,}", f"{c.corrected:,}", f"{c.quarantined:,}")
    console.print(table)
    if result.status == "unchanged":
        console.print("nothing changed: every row is already in the store with the same values")
        return
    console.print(f"batch {result.batch_id} {result.status}"
                  + (f"; {result.marked_accounts} accounts marked for recalculation" if result.marked_accounts else ""))
    if result.status == "partial":
        console.print("rejected rows are quarantined: `dianta quarantine list`")
        raise typer.Exit(1)


@app.command()
def compute(year: Annotated[int, typer.Option("--year", help="activity year")],
            profile: Annotated[str, typer.Option(help="methodology profile id or .toml file")] = "default",
            engine: Annotated[str, typer.Option(help="aggregation engine: duckdb (embedded) or spark "
                                                "(master from --spark-master or $DIANTA_SPARK_MASTER)")] = "duckdb",
            incremental: Annotated[bool, typer.Option(help="recompute only the accounts marked by corrections "
                                                      "since the last run (the result equals a full run)")] = False,
            spark_master: Annotated[str | None, typer.Option(help="with --engine spark: local[2], local[*] or "
                                                             "spark://host:7077")] = None
            ) -> None:
    """Compute and publish every account of a year (METHODOLOGY.md)."""
    from dianta.accounts.compute import compute_year

    if spark_master:
        os.environ["DIANTA_SPARK_MASTER"] = spark_master

    notes: list[str] = []
    try:
        store = _store()
        with _progress() as step:
            def progress(message: str) -> None:
                if "computing in full" in message:
                    notes.append(message)
                step(message)

            def audited(tx, run_id: int, mode: str) -> None:  # noqa: ANN001 - the entry commits with the run
                _audit(store, "compute.run", f"accounts:{year}", detail={"run_id": run_id, "profile": profile,
                                                                         "mode": mode}, connection=tx)

            result = compute_year(store, year, profile=profile, engine=engine, progress=progress,
                                  incremental=incremental, in_transaction=audited)
    except DiantaError as exc:
        raise _fail(exc) from None
    for note in notes:
        err.print(note)
    grades = result.grades
    how = (f"incrementally ({result.recomputed} enterprise(s) recomputed, all evaluated)"
           if result.mode == "incremental" else "in full")
    console.print(f"{len(result.records):,} accounts of {year} computed {how} with profile '{result.profile_id}' "
                  f"(run {result.run_id}); by grade: "
                  + ", ".join(f"{g or 'not rated'}: {grades[g]}" for g in sorted(grades, key=lambda g: g or 9)))


@export_app.command("accounts")
def export_accounts(year: Annotated[int, typer.Option("--year")],
                    fmt: Annotated[str, typer.Option("--format", help="json, csv or xlsx")] = "json",
                    out: Annotated[Path | None, typer.Option("--out", help="file (default: standard output; "
                                                             "xlsx needs --out)")] = None,
                    profile: Annotated[str, typer.Option(help="methodology profile id")] = "default") -> None:
    """Write a year's accounts with the field names of INTERFACE.md."""
    from dianta.accounts.compute import read_accounts
    from dianta.accounts.export import write_export

    try:
        if fmt not in ("json", "csv", "xlsx"):
            raise typer.BadParameter(f"{fmt} is not one of json, csv, xlsx", param_hint="--format")
        if fmt == "xlsx" and out is None:
            raise typer.BadParameter("xlsx is binary: give --out FILE", param_hint="--out")
        store = _store()
        records = read_accounts(store, year, profile)
        _audit(store, "account.export", f"export:{year}",
               detail={"format": fmt, "credit_codes": [r["credit_code"] for r in records]})
        if not records:
            err.print(f"no accounts of {year} under profile '{profile}' are published; run "
                      f"`dianta compute --year {year}` first")
        data = write_export(records, fmt, out)
    except DiantaError as exc:
        raise _fail(exc) from None
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        err.print(f"wrote {out}")


@app.command()
def status() -> None:
    """Batches received and accounts marked for recalculation."""
    import sqlalchemy as sa

    from dianta.accounts.compute import stale_accounts
    from dianta.ledger import schema

    store = _store()
    table = Table("batch", "received", "by", "status", "reason", "source", title="batches")
    with store.engine.connect() as con:
        for r in con.execute(sa.select(schema.batches).order_by(schema.batches.c.batch_id)):
            table.add_row(str(r.batch_id), r.received_at, r.received_by, r.status, r.reason or "", r.source)
    console.print(table)
    stale = stale_accounts(store)
    console.print(f"{len(stale)} accounts marked for recalculation"
                  + (": " + ", ".join(f"{c} {y}" for c, y in stale[:20]) if stale else ""))


@app.command()
def history(table: Annotated[str | None, typer.Option(help="only this table")] = None,
            key: Annotated[str | None, typer.Option(help="only rows whose key contains this text")] = None) -> None:
    """Corrections: each changed row with its old and new values, and who changed it, when and why."""
    from dianta.ingest.corrections import list_corrections

    out = Table("batch", "when", "by", "why", "table", "key", "old → new", title="corrections")
    store = _store()
    found = list_corrections(store, table=table, key=key)
    _audit(store, "corrections.read", f"corrections:{table or 'all'}",
           detail={"key": key, "row_keys": [c.row_key for c in found],
                   "batch_ids": sorted({c.batch_id for c in found})})
    for c in found:
        out.add_row(str(c.batch_id), c.received_at, c.received_by, c.reason or "", c.table, c.row_key,
                    "; ".join(f"{k}: {c.old.get(k)} → {c.new.get(k)}" for k in c.changed) or c.note)
    console.print(out)


@quarantine_app.command("list")
def quarantine_list(batch: Annotated[int | None, typer.Option(help="only this batch")] = None) -> None:
    """List the rows held back by `ingest --partial`."""
    from dianta.ingest.quarantine import list_quarantine

    table = Table("batch", "table", "row", "rows", "file", "reasons")
    store = _store()
    entries = list_quarantine(store, batch_id=batch)
    _audit(store, "batch.read", f"quarantine:{batch or 'all'}",
           detail={"quarantine_ids": [e.quarantine_id for e in entries], "rows": sum(e.n_rows for e in entries)})
    for e in entries:
        reasons = "; ".join(r["en"] if isinstance(r, dict) else str(r) for r in e.reasons)
        table.add_row(str(e.batch_id), e.table, "" if e.row is None else str(e.row), str(e.n_rows), e.file or "",
                      reasons)
    console.print(table)


@quarantine_app.command("export")
def quarantine_export(batch: Annotated[int, typer.Argument(help="batch id")],
                      folder: Annotated[Path, typer.Argument(help="folder to write the rows into")]) -> None:
    """Write a batch's quarantined rows into a folder, to correct and `dianta ingest` again."""
    from dianta.ingest.quarantine import export_quarantine

    try:
        store = _store()
        written = export_quarantine(store, batch, folder)
        _audit(store, "quarantine.export", f"quarantine:{batch}", detail={"rows": written})
    except DiantaError as exc:
        raise _fail(exc) from None
    console.print(", ".join(f"{t}: {n} rows" for t, n in written.items()) + f" written to {folder}")


@app.command()
def backup(dest: Annotated[Path, typer.Argument(help="a new folder for the backup")]) -> None:
    """A consistent snapshot of the ledger and the lake into a new folder (restore it with `dianta restore`)."""
    from dianta.ledger.backup import backup as make_backup

    try:
        store = _store()
        manifest = make_backup(store, dest)
        _audit(store, "store.backup", f"backup:{dest}", detail={"rows": sum(manifest["rows"].values())})
    except DiantaError as exc:
        raise _fail(exc) from None
    console.print(f"backed up {sum(manifest['rows'].values()):,} ledger rows and "
                  f"{sum(1 for f in manifest['files'] if f.startswith('lake/')):,} lake files to {dest} "
                  "(it holds the store's secrets: keep it as safe as the store)")
    if manifest["lake_unrecorded"]:
        err.print(f"{len(manifest['lake_unrecorded']):,} lake files have no recorded digest and could not be checked "
                  "before they were copied: run `dianta lake verify --record`")


@app.command()
def restore(src: Annotated[Path, typer.Argument(help="a folder written by `dianta backup`")]) -> None:
    """Restore a backup into the store given by --db (and --lake), which must be new."""
    from dianta.ledger.backup import restore as do_restore

    try:
        store = _store()
        rows = do_restore(src, store)
        _audit(store, "store.restore", f"backup:{src}", detail={"rows": sum(rows.values())})
    except DiantaError as exc:
        raise _fail(exc) from None
    console.print(f"restored {sum(rows.values()):,} ledger rows from {src} into {State.db}")


def _check_tls(certfile: Path | None, keyfile: Path | None) -> None:
    """UsageError unless the TLS files given to ``serve`` load together (never a traceback from the server)."""
    if keyfile is not None and certfile is None:
        raise UsageError("--ssl-keyfile needs --ssl-certfile")
    if certfile is None:
        return
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"the TLS certificate and key cannot be used ({exc}); give a PEM certificate chain "
                         "with --ssl-certfile and its private key with --ssl-keyfile") from None


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port")] = 8000,
          cors: Annotated[list[str] | None, typer.Option(help="allowed browser origin (repeatable)")] = None,
          keep_alive: Annotated[int, typer.Option(help="seconds an idle connection is kept open; clients "
                                                  "should keep theirs for less")] = 5,
          limit_concurrency: Annotated[int, typer.Option(min=2, help="connections and requests served at once; "
                                                         "more are answered 503 at once")] = 64,
          ssl_certfile: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="serve HTTPS with "
                                                            "this TLS certificate chain (PEM)")] = None,
          ssl_keyfile: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="the private key "
                                                           "(PEM) of --ssl-certfile")] = None,
          hsts_max_age: Annotated[int, typer.Option(min=0, help="send Strict-Transport-Security with this "
                                                    "max-age [s] on every response (0: off); only for a site "
                                                    "served over HTTPS, here or by a proxy in front")] = 0,
          forwarded_allow_ips: Annotated[str | None, typer.Option(help="comma-separated addresses (or networks) "
                                                                  "of the reverse proxies in front whose "
                                                                  "X-Forwarded-For/-Proto are believed; off "
                                                                  "by default")] = None) -> None:
    """Run the web dashboard (http://HOST:PORT/) and the REST API (OpenAPI at /api/v1/openapi.json, docs at
    /api/v1/docs). Without --forwarded-allow-ips no forwarded header is believed, from anyone (loopback
    included): the client address that logins are throttled and audited by is the connection's."""
    import uvicorn

    from dianta.api.app import create_app

    try:
        _check_tls(ssl_certfile, ssl_keyfile)
        application = create_app(_store(), cors_origins=cors or [], hsts_max_age=hsts_max_age)
    except DiantaError as exc:
        raise _fail(exc) from None
    uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False,
                timeout_keep_alive=keep_alive, limit_concurrency=limit_concurrency,
                ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
                proxy_headers=bool(forwarded_allow_ips), forwarded_allow_ips=forwarded_allow_ips or None)


@app.command()
def demo(folder: Annotated[Path, typer.Option("--dir", help="where the sample batches, store and exports go")]
         = Path("dianta-demo"),
         enterprises: Annotated[int, typer.Option(help="number of enterprises")] = 500) -> None:
    """Build a realistic sample province, ingest it, compute every account and print where to look."""
    from dianta.demo.run import run_demo

    try:
        run_demo(folder, enterprises=enterprises, console=console, err=err)
    except DiantaError as exc:
        raise _fail(exc) from None
