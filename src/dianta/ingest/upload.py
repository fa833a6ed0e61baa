"""Batches that arrive over HTTP: files saved safely into a batch folder, then the same ingest as the CLI."""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from dianta.errors import InputRefused, UsageError
from dianta.glossary import TABLES
from dianta.ingest.apply import BatchPreview, IngestResult, InTransaction, ingest_batch, preview_batch
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
                         "enterprises.csv, interval_readings.parquet, or one .xlsx workbook)",
                         zh=f"文件名“{name}”不是数据需求表中的数据表文件（例如 enterprises.csv、"
                         "interval_readings.parquet，或一个 .xlsx 工作簿）")
    return base


#: the header of the reasons column a quarantine CSV carries (quarantine.quarantine_csv): dropped from an upload,
#: so that the CSV downloaded from the quarantine can be corrected and sent back as it is
REASON_HEADERS = ("quarantine_reason", "隔离原因")
#: the most files a zip may hold
MAX_ZIP_MEMBERS = 100


class _Saved:
    """The files of an upload written into ``folder`` (a zip unpacked into its table files), at most
    :data:`MAX_BATCH_BYTES` in all."""

    def __init__(self, folder: Path):
        self.folder, self.total, self.names = folder, 0, set[str]()

    def add(self, name: str, stream: IO[bytes]) -> None:
        if name.lower().endswith(".zip"):
            self._unzip(name, stream)
            return
        base = safe_file_name(name)
        if base in self.names:
            raise UsageError(f"file '{base}' is sent twice", zh=f"文件“{base}”发送了两次")
        self.names.add(base)
        with (self.folder / base).open("wb") as out:
            while chunk := stream.read(1 << 20):
                self.total += len(chunk)
                if self.total > MAX_BATCH_BYTES:
                    raise UsageError("the batch is larger than 2 GiB; split it into several batches",
                                     zh="批次超过 2 GiB；请拆分为多个批次")
                out.write(chunk)
        if base.endswith(".csv"):
            _drop_reason_column(self.folder / base)

    def _unzip(self, name: str, stream: IO[bytes]) -> None:
        """A zip of table files (folders inside it are ignored: only the files' names count)."""
        packed = self.folder / "_upload.zip"
        with packed.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        try:
            with zipfile.ZipFile(packed) as z:
                members = [m for m in z.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")
                           and not m.filename.rsplit("/", 1)[-1].startswith(".")]
                if len(members) > MAX_ZIP_MEMBERS:
                    raise UsageError(f"{name} holds {len(members)} files; a batch has at most one file per table",
                                     zh=f"{name} 含 {len(members)} 个文件；每个批次每张表最多一个文件")
                for m in members:
                    with z.open(m) as member:
                        self.add(m.filename.rsplit("/", 1)[-1], member)
        except zipfile.BadZipFile:
            raise UsageError(f"{name} is not a zip file that can be read; pack the table files again",
                             zh=f"{name} 不是可读取的 zip 文件；请重新打包数据表文件") from None
        finally:
            packed.unlink(missing_ok=True)


def _drop_reason_column(path: Path) -> None:
    """Rewrite a CSV whose last header cell is a quarantine reasons column without that column."""
    with path.open("rb") as f:
        first = f.readline(1 << 16)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            header = next(csv.reader([first.decode(encoding)]))
            break
        except (UnicodeDecodeError, StopIteration):
            continue
    else:
        return
    if not header or header[-1].strip() not in REASON_HEADERS:
        return
    rewritten = path.with_suffix(".tmp")
    with path.open(encoding=encoding, newline="") as src, rewritten.open("w", encoding="utf-8-sig", newline="") as out:
        w = csv.writer(out)
        for row in csv.reader(src):
            w.writerow(row[:len(header) - 1])
    rewritten.replace(path)


@contextmanager
def saved_upload(store: Store, files: Iterable[tuple[str, BinaryIO]]) -> Iterator[Path]:
    """The uploaded files in a fresh folder of the store's temp space (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=store.temp_dir()))
    try:
        saved = _Saved(folder)
        for name, stream in files:
            saved.add(name, stream)
        if not saved.names:
            raise UsageError("no file was sent; send the batch's table files",
                             zh="没有收到文件；请发送本批次的数据表文件")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ingest_upload(store: Store, files: Iterable[tuple[str, BinaryIO]], *, partial: bool, reason: str | None,
                  user: str, in_transaction: InTransaction | None = None, keep_refused: bool = False) -> IngestResult:
    """Write the uploaded files into a fresh folder and ingest it exactly as `dianta ingest` would. With
    ``keep_refused`` a refused batch is kept (:mod:`dianta.ingest.refused`) and the :class:`InputRefused` raised
    carries its id as ``batch_id``."""
    with saved_upload(store, files) as folder:
        try:
            return ingest_batch(store, folder, partial=partial, reason=reason, user=user,
                                in_transaction=in_transaction)
        except InputRefused as exc:
            if keep_refused:
                from dianta.ingest.refused import keep_refused as keep

                exc.batch_id = keep(store, folder, exc.findings, reason=reason, user=user,
                                    in_transaction=in_transaction)
            raise


def preview_upload(store: Store, files: Iterable[tuple[str, BinaryIO]], *, partial: bool = False) -> BatchPreview:
    """The uploaded batch checked as :func:`ingest_upload` would check it; nothing is written."""
    with saved_upload(store, files) as folder:
        return preview_batch(store, folder, partial=partial)


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
