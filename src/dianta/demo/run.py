"""``dianta demo``: a sample province through the same path as real data (ingest → compute → export)."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dianta.accounts.compute import RunResult, compute_year
from dianta.accounts.export import write_export
from dianta.accounts.parks import read_park_accounts
from dianta.accounts.record import ComputingCertificate, ParkAccount
from dianta.demo.generate import MIN_ENTERPRISES, write_demo_province
from dianta.demo.showcase import issue_certificates, price_loans, set_up_tenants, write_samples
from dianta.errors import UsageError
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store

MARKER = ".dianta-demo"
GRADE_NAMES = {1: "1 深绿 dark green", 2: "2 浅绿 light green", 3: "3 黄 yellow", 4: "4 橙 orange", 5: "5 红 red",
               None: "not rated 未评级"}


@dataclass(frozen=True)
class _Built:
    """What the demo made: the years, each year's computation, the logins, loans priced, sample files, the last
    year's park accounts as exported and the green-computing certificates issued (with their files)."""

    years: list[int]
    results: dict[int, RunResult]
    logins: dict[str, tuple[str, str]]
    priced: int
    samples: list[Path]
    parks: list[ParkAccount]
    certificates: list[tuple[ComputingCertificate, list[Path]]]


def run_demo(folder: Path, *, enterprises: int, console: Console, err: Console) -> None:
    """Build the demo in ``folder`` (refused before anything is touched when ``enterprises`` is too small or the
    folder is not a demo folder), then print where to look."""
    if enterprises < MIN_ENTERPRISES:
        raise UsageError(f"--enterprises {enterprises}: the demo needs at least {MIN_ENTERPRISES} enterprises, so "
                         "that each of its deliberate patterns (meters moved between enterprises, a stoppage, a sharp "
                         "drop, a sustained decline, green champions, interval data) has enterprises of its own",
                         zh=f"--enterprises {enterprises}：示例至少需要 {MIN_ENTERPRISES} 家企业，"
                            "才能让每种刻意设置的情形（户号在企业间转移、停产、用电骤降、持续下降、"
                            "绿电领先企业、15 分钟数据）各有自己的企业")
    _prepare(folder)
    built = _build(folder, enterprises, err)
    login_file = folder / "logins.txt"
    login_file.touch(mode=0o600)
    login_file.write_text("# dashboard logins of this demo store (fresh random passwords each run)\n"
                          + "".join(f"{role}\t{user}\t{pw}\n" for role, (user, pw) in built.logins.items()))
    _print_results(built, console)
    _print_where(folder, built, console)


def _prepare(folder: Path) -> None:
    """An empty demo folder (a foreign folder that is not empty is refused: it is never removed)."""
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise UsageError(f"{folder} exists and is not a Dianta demo folder; give another --dir",
                         zh=f"{folder} 已存在且不是 Dianta 示例文件夹；请用 --dir 指定其他文件夹")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("created by `dianta demo`; removed and rebuilt by the next run\n")


def _build(folder: Path, enterprises: int, err: Console) -> _Built:
    """Generate the batches, ingest them, compute every year, export the last one's accounts and park accounts,
    set up tenants, price the loans, write the sample reports and issue the data centres' green-computing
    certificates, with a progress bar on ``err``."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err) as progress:
        task = progress.add_task("generating the sample province", total=None)
        batches = write_demo_province(folder / "batches", n_enterprises=enterprises)
        years = sorted(int(b.name) for b in batches)
        progress.update(task, total=2 * len(batches) + 2, completed=0)
        with closing(Store(folder / "store")) as store:
            for b in batches:
                progress.update(task, description=f"ingesting batch {b.name}")
                ingest_batch(store, b, reason="dianta demo", user="demo")
                progress.advance(task)
            results = {}
            for y in years:
                progress.update(task, description=f"computing accounts {y}")
                results[y] = compute_year(store, y, user="demo")
                progress.advance(task)
            progress.update(task, description="exporting")
            last = years[-1]
            parks = read_park_accounts(store, last)  # what `dianta export parks` writes
            for fmt in ("json", "csv", "xlsx"):
                write_export(results[last].records, fmt, folder / "exports" / f"accounts-{last}.{fmt}")
                write_export(parks, fmt, folder / "exports" / f"parks-{last}.{fmt}", parks=True)
            progress.advance(task)
            progress.update(task, description="reports, labels, certificates and logins")
            logins = set_up_tenants(store, year=last, records=results[last].records)
            priced = price_loans(store)
            samples = write_samples(store, folder / "reports", year=last, records=results[last].records)
            certificates = issue_certificates(store, folder / "reports", year=last)
            progress.advance(task)
    return _Built(years, results, logins, priced, samples, parks, certificates)


def _print_results(built: _Built, console: Console) -> None:
    """Accounts per grade and year, the best and worst five of the last year, and its alerts."""
    years, results = built.years, built.results
    last = years[-1]
    grade_table = Table("grade 等级", *(str(y) for y in years), title="accounts per grade 各等级账户数")
    for g in (1, 2, 3, 4, 5, None):
        counts = [results[y].grades.get(g, 0) for y in years]
        if any(counts):
            grade_table.add_row(GRADE_NAMES[g], *(str(c) for c in counts))
    grade_table.add_row("total 合计", *(str(len(results[y].records)) for y in years))
    console.print(grade_table)
    rated = sorted((r for r in results[last].records if r["score"] is not None),
                   key=lambda r: (-float(r["score"]), str(r["credit_code"])))  # type: ignore[arg-type]
    for title, rows in (("top 5 最优", rated[:5]), ("bottom 5 最差", rated[-5:][::-1])):
        t = Table("enterprise 企业", "industry", "grade", "score", "tCO2/10k CNY", "green share", "alerts",
                  title=f"{last} {title}")
        for r in rows:
            t.add_row(f"{r['name']}\n{r['credit_code']}", str(r["industry_code"]), str(r["grade"]),
                      f"{r['score']:.1f}", "—" if r["intensity"] is None else f"{r['intensity']:.3f}",
                      f"{r['green_share']:.1%}", ", ".join(sorted({a["code"] for a in _alerts(r)})) or "—")
        console.print(t)
    alerts = Counter(a["code"] for r in results[last].records for a in _alerts(r))
    console.print(f"credit-risk alerts {last}: " + (", ".join(f"{k} {v}" for k, v in sorted(alerts.items())) or "none"))
    _print_parks(built, console)


def _share(value: object) -> str:
    return "—" if value is None else f"{float(value):.1%}"  # type: ignore[arg-type]


def _print_parks(built: _Built, console: Console) -> None:
    """The last year's park accounts against their targets (GREEN-POWER.md §10) and the green-computing
    certificates issued (§11)."""
    last = built.years[-1]
    parks = Table("park 园区", "members 成员", "green share 绿电占比", "trajectory 目标轨迹", "target 目标",
                  "hourly CFE 逐时匹配", "uncovered 未覆盖负荷", "shortfall 缺口 MWh", "alerts 预警",
                  title=f"{last} parks 园区账户")
    for p in built.parks:
        target = f"{_share(p['target_green_share'])} ({p['target_year'] or '—'})"
        parks.add_row(f"{p['park_name']}\n{p['park_id']}", str(p["members"]), _share(p["green_share"]),
                      _share(p["expected_green_share"]), target,
                      _share(p["cfe_score"]), _share(p["uncovered_load_share"]), f"{p['shortfall_mwh']:,.0f}",
                      ", ".join(p["alerts"]) or "—")
    console.print(parks)
    certs = Table("data centre 数据中心", "period 期间", "level 等级", "hourly CFE 逐时匹配", "green share 绿电占比",
                  "verification code 验证码", title="green-computing certificates 绿电绿算溯源证书")
    for cert, _ in built.certificates:
        certs.add_row(f"{cert['site_name']}\n{cert['credit_code']}", cert["period"], cert["level"] or "— 无",
                      _share(cert["cfe_score"]), _share(cert["green_share"]), cert["verification_code"] or "—")
    console.print(certs)


def _alerts(record: Mapping[str, object]) -> list[dict[str, str]]:
    """The alerts of an account record (METHODOLOGY.md §6: ``{"code", "month"}`` each)."""
    return cast("list[dict[str, str]]", record["alerts"])


def _print_where(folder: Path, built: _Built, console: Console) -> None:
    """Where the batches, store, exports, reports and logins are, and what to run next."""
    last = built.years[-1]
    console.print(f"loans:   {built.priced} priced by their banks' example policy (dianta policy list --bank "
                  "BANK-QH-001; dianta interest-saved; dianta programme totals)")
    n_files = len(built.samples) + sum(len(paths) for _, paths in built.certificates)
    console.print(f"batches: {folder / 'batches'}\nstore:   {folder / 'store'}\n"
                  f"exports: {folder / 'exports'}/accounts-{last}.json|csv|xlsx, parks-{last}.json|csv|xlsx\n"
                  f"reports: {folder / 'reports'} ({n_files} files: account reports, labels, a bank "
                  f"portfolio, the data requirement template, green-computing certificates)")
    logins_table = Table("role 角色", "user 用户", "password 密码", title="dashboard logins 看板登录")
    for role, (user, pw) in built.logins.items():
        logins_table.add_row(role, user, pw)
    console.print(logins_table)
    console.print(f"logins:  {folder / 'logins.txt'}")
    console.print(f"next:    dianta --db {folder / 'store'} serve   → open http://127.0.0.1:8000/ and log in")
