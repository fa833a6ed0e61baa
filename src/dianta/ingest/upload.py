"""Batches that arrive over HTTP: files saved safely into a batch folder, then the same ingest as the CLI."""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from dianta.errors import UsageError
from dianta.glossary import TABLES
from dianta.ingest.apply import IngestResult, InTransaction, ingest_batch
from dianta.ledger.store import Store

_NAME = re.compile(r"^[a-z_]+\.(csv|xlsx|parquet)$")
MAX_BATCH_BYTES = 2 << 30


def safe_file_name(name: str) -> str:
    """A batch file's name as sent, accepted only when it is a plain table file name (no folders, no
    traversal): ``enterprises.csv``, ``batch.xlsx``-style workbooks, ``interval_readings.parquet``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base != name or not _NAME.match(base) or (base.endswith((".csv", ".parquet")) and base.rsplit(".", 1)[0]
                                                  not in TABLES):
        raise UsageError(f"file name '{name}' is not a table file of the data requirement table (e.g. "
                         "enterprises.csv, interval_readings.parquet, or one .xlsx workbook)")
    return base


def ingest_upload(store: Store, files: Iterable[tuple[str, BinaryIO]], *, partial: bool, reason: str | None,
                  user: str, in_transaction: InTransaction | None = None) -> IngestResult:
    """Write the uploaded files into a fresh folder and ingest it exactly as `dianta ingest` would."""
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=store.temp_dir()))
    try:
        total = 0
        names = set()
        for name, stream in files:
            base = safe_file_name(name)
            if base in names:
                raise UsageError(f"file '{base}' is sent twice")
            names.add(base)
            with (folder / base).open("wb") as out:
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_BATCH_BYTES:
                        raise UsageError("the batch is larger than 2 GiB; split it into several batches")
                    out.write(chunk)
        if not names:
            raise UsageError("no file was sent; send the batch's table files")
        return ingest_batch(store, folder, partial=partial, reason=reason, user=user, in_transaction=in_transaction)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def record_row(store: Store, table: str, row: dict[str, object], *, user: str, reason: str | None,
               in_transaction: InTransaction | None = None) -> IngestResult:
    """One row of ``table`` (a loan, a park, a park membership, …) ingested as a one-file batch with exactly the
    checks of that table in a batch: the batch is kept like any other, a refusal raises InputRefused."""
    columns = TABLES[table].column_names
    folder = Path(tempfile.mkdtemp(prefix=f"{table}-", dir=store.temp_dir()))
    try:
        with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(columns)
            w.writerow(["" if row.get(c) is None else row[c] for c in columns])
        return ingest_batch(store, folder, reason=reason, user=user, in_transaction=in_transaction)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def record_loan(store: Store, loan: dict[str, object], *, user: str, reason: str | None,
                in_transaction: InTransaction | None = None) -> IngestResult:
    """A bank's loan recorded through the same checks as the `loans` table of a batch."""
    return record_row(store, "loans", loan, user=user, reason=reason, in_transaction=in_transaction)
