"""The store's upkeep: ``backup``, ``restore`` and ``lake verify`` (issue 13: "`dianta lake verify` checks a
whole store")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dianta.cli._output import console, err
from dianta.cli._runner import State, audit, store_session

app = typer.Typer()
lake_app = typer.Typer(no_args_is_help=True, add_completion=False,
                       help="The Parquet lake: check every file against the digest recorded when it was published.")


@app.command()
def backup(dest: Annotated[Path, typer.Argument(help="a new folder for the backup")]) -> None:
    """A consistent snapshot of the ledger and the lake into a new folder (restore it with `dianta restore`)."""
    from dianta.ledger.backup import backup as make_backup

    with store_session() as store:
        manifest = make_backup(store, dest)
        audit(store, "store.backup", f"backup:{dest}", detail={"rows": sum(manifest["rows"].values())})
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

    with store_session() as store:
        rows = do_restore(src, store)
        audit(store, "store.restore", f"backup:{src}", detail={"rows": sum(rows.values())})
    console.print(f"restored {sum(rows.values()):,} ledger rows from {src} into {State.db}")


def _size(n_bytes: int) -> str:
    """A size for people: 681 bytes, 2.3 MB, 1.6 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes:,} bytes"


@lake_app.command("verify")
def lake_verify(record: Annotated[bool, typer.Option(
        "--record", help="first record the size and SHA-256 of the files that have none (published before "
        "Dianta recorded them) as they are now; compare them with a backup first if in doubt")] = False
                ) -> None:
    """Read every lake file the ledger refers to and compare it with the size and SHA-256 recorded when it
    was published. Exit 0 when every file is as published, 1 with each missing, changed or unrecorded file
    named."""
    from dianta.ledger.integrity import verify_store

    with store_session() as store:
        report = verify_store(store, record=record)
        audit(store, "lake.verify", "lake", detail={"files": report.files, "bad": [p.rel for p in report.problems],
                                                    "recorded": report.recorded})
    if report.recorded:
        typer.echo(f"recorded the digests of {len(report.recorded)} lake file(s) that had none, as they are now: "
                   + ", ".join(report.recorded[:20]) + (" …" if len(report.recorded) > 20 else ""))
    for p in report.problems:
        typer.echo(p.text)
    size = f"{report.files:,} lake file{'' if report.files == 1 else 's'} ({_size(report.size_bytes)})"
    if report.ok:
        typer.echo(f"{size} checked: every one is as it was published")
        return
    kinds = {p.kind for p in report.problems}
    todo = []
    if kinds - {"unrecorded"}:
        todo.append("restore each missing or changed file from a backup (copy it from the backup folder's "
                    "lake/ into the store's lake, or `dianta restore` the backup into a new store)")
    if "unrecorded" in kinds:
        todo.append("record the digests of the files that have none with `dianta lake verify --record`")
    typer.echo(f"{len(report.problems):,} of {size} cannot be used; {' and '.join(todo)}", err=True)
    raise typer.Exit(1)
