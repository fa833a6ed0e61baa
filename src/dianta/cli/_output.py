"""What the commands print with: the two consoles, the findings table, progress, and where data goes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dianta.atomic import write_atomically
from dianta.errors import UsageError

if TYPE_CHECKING:
    from dianta.findings import Finding

# a pipe or a CI log gets 160 columns rather than Rich's 80, so codes and reasons are not folded
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
#: findings printed at most; every one goes to a CSV file beyond that
MAX_PRINTED = 200


def print_findings(findings: list[Finding], db: str) -> None:
    """The findings as a table on standard error, errors first; beyond :data:`MAX_PRINTED`, every finding is
    written to ``<db>/findings/last-findings.csv`` and the table says so."""
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
        column = (f.column or "") + (f"\n({f.header})" if f.header else "")  # the header as written, if other
        table.add_row(mark, f.file or f.table, "" if f.row is None else str(f.row), column,
                      (f.value or "")[:40], f"{f.message_en}\n{f.message_zh}")
    err.print(table)
    if len(ordered) > MAX_PRINTED:
        path = Path(db) / "findings" / "last-findings.csv"
        write_findings_csv(ordered, path)
        err.print(f"{len(ordered) - MAX_PRINTED} more findings; every finding is in {path}")


def write_findings_csv(findings: list[Finding], path: Path) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        fields = ["severity", "code", "file", "table", "row", "column", "value", "message_en", "message_zh",
                  "header"]
        w.writerow(fields)
        for x in findings:
            w.writerow([getattr(x, k) for k in fields])


@contextmanager
def progress() -> Iterator[Callable[[str], None]]:
    """A spinner on standard error; call the function given with what is being done."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("starting")
        yield lambda msg: bar.update(task, description=msg)


def choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    """``value`` when it is one of ``allowed``, else a UsageError naming ``option``."""
    if value not in allowed:
        raise UsageError(f"{option} {value!r}: choose one of {', '.join(allowed)}",
                         zh=f"{option} {value!r}：请从 {'、'.join(allowed)} 中选择")
    return value


def emit(data: bytes, out: Path | None, binary: bool) -> None:
    """Write ``data`` to ``out`` (atomically), else to standard output (refused for binary data on a terminal)."""
    if out is not None:
        write_atomically(out, data)
        err.print(f"wrote {out}")
    elif binary and sys.stdout.isatty():
        raise UsageError("this format is binary: give --out FILE (or redirect standard output)",
                         zh="该格式为二进制：请用 --out FILE 指定文件（或重定向标准输出）")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
