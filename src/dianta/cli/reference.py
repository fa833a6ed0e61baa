"""The reference-data command ``factors``: the emission-factor table a methodology profile uses (METHODOLOGY.md
§2; INTERFACE.md "Green power…"). An adapter: it only parses, calls and prints. It opens no store."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dianta.cli._output import choice, console, emit, err
from dianta.errors import UsageError

app = typer.Typer()

#: the areas of the factor table besides a 6-digit GB/T 2260 province code
AREAS = ("national", "north", "northeast", "east", "central", "northwest", "south", "southwest")


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"\d{4}", text):
        raise UsageError(f"--year {text!r}: give a year as YYYY", zh=f"--year {text!r}：请按 YYYY 给出年份")
    return int(text)


def _area(text: str | None) -> str | None:
    if text is None or text in AREAS or re.fullmatch(r"\d{6}", text):
        return text
    raise UsageError(f"--area {text!r}: give national, a regional grid ({', '.join(AREAS[1:])}) or a 6-digit "
                     "GB/T 2260 province code (630000)",
                     zh=f"--area {text!r}：请给出 national、区域电网（{'、'.join(AREAS[1:])}）"
                        "或 6 位 GB/T 2260 省级代码（如 630000）")


def _profile(id_or_path: str):  # noqa: ANN202 - the Profile type is imported late, with the reference data
    from dianta.reference.profile import load_profile, shipped_profile_ids

    ids = shipped_profile_ids()
    if id_or_path not in ids and not (id_or_path.endswith(".toml") and Path(id_or_path).is_file()):
        raise UsageError(f"--profile {id_or_path!r}: give a shipped profile id ({', '.join(ids)}) or the path of "
                         "a .toml profile file",
                         zh=f"--profile {id_or_path!r}：请给出随附配置的编号（{'、'.join(ids)}）"
                            "或 .toml 配置文件的路径")
    return load_profile(id_or_path)


@app.command()
def factors(year: Annotated[str | None, typer.Option("--year", help="only the factors of this year (YYYY)")] = None,
            kind: Annotated[str | None, typer.Option("--kind", help="only this kind: average, "
                                                     "excl_market_nonfossil, fossil_only or footprint")] = None,
            area: Annotated[str | None, typer.Option("--area", help="only this area: national, a regional grid "
                                                     "or a 6-digit province code")] = None,
            profile: Annotated[str, typer.Option(help="methodology profile id or .toml file whose factor table "
                                                 "is listed")] = "default",
            fmt: Annotated[str | None, typer.Option("--format", help="json or csv (default: a table on the "
                                                    "terminal)")] = None,
            out: Annotated[Path | None, typer.Option("--out", help="file (default: standard output)")] = None
            ) -> None:
    """The emission-factor table in use (排放因子表): every published factor with its announcement, number,
    date and source (METHODOLOGY.md §2)."""
    from dianta.glossary import FACTOR_COLUMNS
    from dianta.reference.tables import UNITS

    wanted_year, wanted_area = _year(year), _area(area)
    if kind is not None:
        choice(kind, tuple(UNITS), "--kind")
    if fmt is not None:
        choice(fmt, ("json", "csv"), "--format")
    used = _profile(profile)
    table = used.factor_table
    rows = [f.public() for f in table.matching(year=wanted_year, kind=kind, area=wanted_area)]
    if fmt == "json":
        emit((json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode(), out, binary=False)
    elif fmt == "csv":
        emit(_csv(rows, list(FACTOR_COLUMNS)), out, binary=False)
    else:
        _print_table(rows, f"{table.table_id} · profile {used.profile_id}")
    if not rows:
        err.print("no factor of the table matches these options / 因子表中没有符合这些选项的因子")


def _csv(rows: list[dict[str, str | int | float | None]], fields: list[str]) -> bytes:
    from dianta.accounts.export import safe_text

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows([{k: "" if v is None else safe_text(v) for k, v in r.items()} for r in rows])
    return buf.getvalue().encode("utf-8-sig")


def _print_table(rows: list[dict[str, str | int | float | None]], title: str) -> None:
    from dianta.glossary import FACTOR_COLUMNS

    shown = [q for q in FACTOR_COLUMNS.values() if q.name not in ("announcement", "source")]
    table = Table(*(f"{q.zh}\n{q.en}" for q in shown), title=f"排放因子表 / emission factors: {title}")
    for r in rows:
        table.add_row(*("" if r[q.name] is None else str(r[q.name]) for q in shown))
    console.print(table)
