"""Shared test helpers: valid credit codes, a batch-folder writer and a fresh store."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from stdnum.cn import uscc

from dianta.ledger.store import Store


def credit_code(n: int, region: str = "630000") -> str:
    """A valid unified social credit code (GB 32100) numbered ``n``."""
    body = f"91{region}{n:09d}"
    return body + uscc.calc_check_digit(body)


def write_table(folder: Path, table: str, header: Sequence[str], rows: Iterable[Sequence[object]], *,
                encoding: str = "utf-8", newline: str = "\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.csv"
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator=newline)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")
