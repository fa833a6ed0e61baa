"""Report rendering benchmark: how long one account report, portfolio report and label take (target: under
2 s each), against WeasyPrint rendering a plain page (the floor of any PDF made this way).

Run (from the repository root, with the project's venv)::

    . .venv/bin/activate
    python bench/bench_reports.py                        # 200 enterprises, 12 reports per kind, ~2 min
    python bench/bench_reports.py --enterprises 60 --reports 3   # smoke test

What it does
------------
1. Builds the demo province (``write_demo_province``, N enterprises, 2022–2024), ingests and computes 2024
   in a temporary store (not timed).
2. In this process, after one warm-up of each kind (fonts, templates, matplotlib loaded once, as in a
   running server), times each call separately with ``time.perf_counter``:
   ``pdf-zh``/``pdf-en`` gather + render + WeasyPrint of an account report, for ``--reports`` enterprises
   half with 15-minute data (heat map) and half without; ``html`` the same without WeasyPrint;
   ``label-png`` label SVG → PNG; ``portfolio-pdf``/``portfolio-xlsx`` every account of the year;
   ``floor`` WeasyPrint on a one-page HTML table of 40 rows with CJK text (no charts, no data access).
3. Prints median and max seconds per kind, the ratio max / 2 s (the target: below 1) and median / floor,
   and writes ``bench/out/reports.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from dianta.accounts.compute import compute_year, read_accounts
from dianta.demo.generate import write_demo_province
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reports.content import gather_account_report
from dianta.reports.labels import label_image
from dianta.reports.portfolio import bank_portfolio, render_portfolio
from dianta.reports.render import html_to_pdf, render_account_report

TARGET_S = 2.0
FLOOR_HTML = ("<html><body style='font-family: Noto Sans CJK SC'><h1>基准 floor</h1><table>"
              + "".join(f"<tr><td>企业{i}</td><td>{i * 1234.5:,.1f}</td></tr>" for i in range(40))
              + "</table></body></html>")


def _timed(fn, *args, **kw) -> float:  # noqa: ANN001, ANN002, ANN003 - any call
    start = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--reports", type=int, default=12)
    parser.add_argument("--out", type=Path, default=Path("bench/out/reports.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folders = write_demo_province(root / "batches", n_enterprises=args.enterprises)
        store = Store(root / "store")
        for folder in folders:
            ingest_batch(store, folder)
        compute_year(store, 2024)
        accounts = read_accounts(store, 2024)
        with_interval = [a["credit_code"] for a in accounts if a.get("hourly_matching")]
        without = [a["credit_code"] for a in accounts if not a.get("hourly_matching")]
        half = args.reports // 2
        codes = with_interval[:half] + without[:args.reports - min(half, len(with_interval))]
        portfolio = bank_portfolio(store, year=2024, codes=None, bank_id=None)

        def account(code: str, fmt: str, lang: str) -> bytes:
            return render_account_report(gather_account_report(store, credit_code=code, year=2024), fmt=fmt,
                                         lang=lang)

        # warm-up: what a running server has loaded already
        account(codes[0], "pdf", "zh")
        render_portfolio(portfolio, fmt="pdf", lang="zh")
        html_to_pdf(FLOOR_HTML)
        times: dict[str, list[float]] = {k: [] for k in ("pdf-zh", "pdf-en", "html", "label-png", "portfolio-pdf",
                                                         "portfolio-xlsx", "floor")}
        for code in codes:
            times["pdf-zh"].append(_timed(account, code, "pdf", "zh"))
            times["pdf-en"].append(_timed(account, code, "pdf", "en"))
            times["html"].append(_timed(account, code, "html", "zh"))
            record = next(a for a in accounts if a["credit_code"] == code)
            if record.get("label"):
                times["label-png"].append(_timed(label_image, record, name=str(record["name"]), fmt="png"))
            times["floor"].append(_timed(html_to_pdf, FLOOR_HTML))
        for _ in range(3):
            times["portfolio-pdf"].append(_timed(render_portfolio, portfolio, fmt="pdf", lang="zh"))
            times["portfolio-xlsx"].append(_timed(render_portfolio, portfolio, fmt="xlsx", lang="zh"))
        store.close()
    floor = statistics.median(times["floor"])
    rows = []
    print(f"{'kind':<16}{'n':>4}{'median s':>10}{'max s':>8}{'max/2s':>8}{'med/floor':>10}")
    for kind, values in times.items():
        med, worst = statistics.median(values), max(values)
        rows.append({"kind": kind, "n": len(values), "median_s": med, "max_s": worst,
                     "max_over_target": worst / TARGET_S, "median_over_floor": med / floor})
        print(f"{kind:<16}{len(values):>4}{med:>10.3f}{worst:>8.3f}{worst / TARGET_S:>8.2f}{med / floor:>10.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"enterprises": args.enterprises, "accounts": len(accounts),
                                    "portfolio_accounts": len(portfolio["enterprises"]), "results": rows}, indent=1))
    print(f"portfolio of {len(portfolio['enterprises'])} accounts; wrote {args.out}")


if __name__ == "__main__":
    main()
