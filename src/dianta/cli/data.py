"""The data commands: ``ingest``, ``compute``, ``status``, ``history``, ``export accounts``, ``quarantine list``
and ``quarantine export`` (INTERFACE.md). An adapter: it only parses, calls and prints."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dianta.cli._output import console, err, print_findings, progress, write_findings_csv
from dianta.cli._runner import State, audit, store_session
from dianta.errors import InputRefused

app = typer.Typer()
export_app = typer.Typer(no_args_is_help=True, help="Export published results.")
quarantine_app = typer.Typer(no_args_is_help=True, help="Rows held back by `ingest --partial`.")


@app.command()
def ingest(folder: Annotated[Path, typer.Argument(help="batch folder (DATA-REQUIREMENTS.md)")],
           partial: Annotated[bool, typer.Option(help="apply the valid rows, quarantine the rest")] = False,
           reason: Annotated[str | None, typer.Option(help="why (kept with every correction)")] = None,
           findings_csv: Annotated[Path | None, typer.Option("--findings", help="also write every finding "
                                                             "to this CSV file")] = None) -> None:
    """Load one batch folder: refused as a whole (exit 1) unless every row passes, or --partial."""
    from dianta.ingest.apply import ingest_batch

    with store_session() as store:
        def audited(tx, batch_id: int, status: str) -> None:  # noqa: ANN001 - the entry commits with the batch
            audit(store, "batch.ingest", f"batch:{batch_id}", why=reason,
                  detail={"status": status, "folder": str(folder)}, connection=tx)

        try:
            with progress() as step:
                result = ingest_batch(store, folder, partial=partial, reason=reason, progress=step,
                                      in_transaction=audited)
        except InputRefused as exc:
            if findings_csv:
                write_findings_csv(exc.findings, findings_csv)
            raise
    if findings_csv:
        write_findings_csv(result.findings, findings_csv)
    print_findings(result.findings, State.db)
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
                                                             "spark://host:7077")] = None,
            spark_log_level: Annotated[str | None, typer.Option(help="with --engine spark: show Spark's log on the "
                                                                "console at this level (WARN, INFO, DEBUG, …; "
                                                                "default: none, it goes to spark-driver.log in the "
                                                                "store's temporary folder; or "
                                                                "$DIANTA_SPARK_LOG_LEVEL)")
                                       ] = None
            ) -> None:
    """Compute and publish every account of a year (METHODOLOGY.md)."""
    from dianta.accounts.compute import compute_year

    if spark_master:
        os.environ["DIANTA_SPARK_MASTER"] = spark_master
    if spark_log_level:
        os.environ["DIANTA_SPARK_LOG_LEVEL"] = spark_log_level

    notes: list[str] = []
    with store_session() as store, progress() as step:
        def note(message: str) -> None:
            if "computing in full" in message:
                notes.append(message)
            step(message)

        def audited(tx, run_id: int, mode: str) -> None:  # noqa: ANN001 - the entry commits with the run
            audit(store, "compute.run", f"accounts:{year}", detail={"run_id": run_id, "profile": profile,
                                                                    "mode": mode}, connection=tx)

        result = compute_year(store, year, profile=profile, engine=engine, progress=note,
                              incremental=incremental, in_transaction=audited)
    for line in notes:
        err.print(line)
    grades = result.grades
    how = (f"incrementally ({result.recomputed} enterprise(s) recomputed, all evaluated)"
           if result.mode == "incremental" else "in full")
    console.print(f"{len(result.records):,} accounts of {year} computed {how} with profile '{result.profile_id}' "
                  f"(run {result.run_id}); by grade: "
                  + ", ".join(f"{g or 'not rated'}: {grades[g]}" for g in sorted(grades, key=lambda g: g or 9)))


def _check_export_target(fmt: str, out: Path | None) -> None:
    """An export's --format and --out, checked before the store is opened."""
    if fmt not in ("json", "csv", "xlsx"):
        raise typer.BadParameter(f"{fmt} is not one of json, csv, xlsx", param_hint="--format")
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("xlsx is binary: give --out FILE", param_hint="--out")


def _deliver_export(data: bytes, out: Path | None) -> None:
    """An export's bytes to standard output, or the note that --out was written."""
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        err.print(f"wrote {out}")


@export_app.command("accounts")
def export_accounts(year: Annotated[int, typer.Option("--year")],
                    fmt: Annotated[str, typer.Option("--format", help="json, csv or xlsx")] = "json",
                    out: Annotated[Path | None, typer.Option("--out", help="file (default: standard output; "
                                                             "xlsx needs --out)")] = None,
                    profile: Annotated[str, typer.Option(help="methodology profile id")] = "default") -> None:
    """Write a year's accounts with the field names of INTERFACE.md."""
    from dianta.accounts.compute import read_accounts
    from dianta.accounts.export import write_export

    _check_export_target(fmt, out)
    with store_session() as store:
        records = read_accounts(store, year, profile)
        audit(store, "account.export", f"export:{year}",
              detail={"format": fmt, "credit_codes": [r["credit_code"] for r in records]})
        if not records:
            err.print(f"no accounts of {year} under profile '{profile}' are published; run "
                      f"`dianta compute --year {year}` first")
        data = write_export(records, fmt, out)
    _deliver_export(data, out)


@export_app.command("parks")
def export_parks(year: Annotated[int, typer.Option("--year")],
                 fmt: Annotated[str, typer.Option("--format", help="json, csv or xlsx")] = "json",
                 out: Annotated[Path | None, typer.Option("--out", help="file (default: standard output; "
                                                          "xlsx needs --out)")] = None,
                 profile: Annotated[str, typer.Option(help="methodology profile id")] = "default") -> None:
    """Write a year's park accounts (GREEN-POWER.md §10) with the field names of INTERFACE.md."""
    from dianta.accounts.export import write_export
    from dianta.accounts.parks import read_park_accounts

    _check_export_target(fmt, out)
    with store_session() as store:
        records = read_park_accounts(store, year, profile)
        audit(store, "park.export", f"export-parks:{year}", detail={"format": fmt,
                                                                    "park_ids": [r["park_id"] for r in records]})
        if not records:
            err.print(f"no park accounts of {year} under profile '{profile}' are published; define parks "
                      f"(parks, park_members) and run `dianta compute --year {year}` first")
        data = write_export(records, fmt, out, parks=True)
    _deliver_export(data, out)


@app.command()
def status() -> None:
    """Batches received and accounts marked for recalculation."""
    import sqlalchemy as sa

    from dianta.accounts.compute import stale_accounts
    from dianta.ledger import schema

    table = Table("batch", "received", "by", "status", "reason", "source", title="batches")
    with store_session() as store:
        with store.engine.connect() as con:
            for r in con.execute(sa.select(schema.batches).order_by(schema.batches.c.batch_id)):
                table.add_row(str(r.batch_id), r.received_at, r.received_by, r.status, r.reason or "", r.source)
        stale = stale_accounts(store)
    console.print(table)
    console.print(f"{len(stale)} accounts marked for recalculation"
                  + (": " + ", ".join(f"{c} {y}" for c, y in stale[:20]) if stale else ""))


@app.command()
def history(table: Annotated[str | None, typer.Option(help="only this table")] = None,
            key: Annotated[str | None, typer.Option(help="only rows whose key contains this text")] = None) -> None:
    """Corrections: each changed row with its old and new values, and who changed it, when and why."""
    from dianta.ingest.corrections import list_corrections

    out = Table("batch", "when", "by", "why", "table", "key", "old → new", title="corrections")
    with store_session() as store:
        found = list_corrections(store, table=table, key=key)
        audit(store, "corrections.read", f"corrections:{table or 'all'}",
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
    with store_session() as store:
        entries = list_quarantine(store, batch_id=batch)
        audit(store, "batch.read", f"quarantine:{batch or 'all'}",
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

    with store_session() as store:
        written = export_quarantine(store, batch, folder)
        audit(store, "quarantine.export", f"quarantine:{batch}", detail={"rows": written})
    console.print(", ".join(f"{t}: {n} rows" for t, n in written.items()) + f" written to {folder}")
