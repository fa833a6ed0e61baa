"""The report commands: ``report`` (an enterprise's, or ``--park`` a park's), ``label`` (likewise),
``verify-label``, ``green-computing``, ``verify-certificate``, ``portfolio``, ``data-requirements``.

Like every local command they act as the operator and are audited; binary output goes to ``--out`` or to
standard output when that is not a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dianta.cli._output import choice, console, emit
from dianta.cli._runner import audit, store_session
from dianta.errors import UsageError
from dianta.ledger.store import crash_point

app = typer.Typer()

Lang = Annotated[str, typer.Option("--lang", help="zh (中文) or en (English)")]
Profile = Annotated[str, typer.Option("--profile", help="methodology profile id")]
Out = Annotated[Path | None, typer.Option("--out", help="file (default: standard output)")]


@app.command()
def report(credit_code: Annotated[str | None, typer.Argument(help="the enterprise's unified social credit code")
                                  ] = None,
           year: Annotated[int, typer.Option("--year", help="activity year")] = 0,
           fmt: Annotated[str, typer.Option("--format", help="pdf or html")] = "pdf",
           out: Out = None, lang: Lang = "zh", profile: Profile = "default",
           park: Annotated[str | None, typer.Option("--park", help="a park's id: the park report (园区绿电报告, "
                                                    "GREEN-POWER.md §10) instead of an enterprise's")] = None) -> None:
    """The carbon account report (碳账户报告) of an enterprise and year, or with --park the park report (园区绿电报告),
    as PDF or HTML."""
    from dianta.lang import check_lang
    from dianta.reports.content import gather_account_report
    from dianta.reports.parks import render_park_report
    from dianta.reports.render import render_account_report

    with store_session() as store:
        choice(fmt, ("pdf", "html"), "--format")
        check_lang(lang)
        _one_subject(credit_code, park, year)
        if park is not None:
            data = render_park_report(store, park, year, fmt, lang, profile_id=profile)
            audit(store, "park.read", f"park-report:{park}:{year}", detail={"format": fmt, "lang": lang})
        else:
            assert credit_code is not None  # _one_subject
            data = render_account_report(gather_account_report(store, credit_code=credit_code, year=year,
                                                               profile_id=profile), fmt=fmt, lang=lang)
            audit(store, "report.read", f"report:{credit_code}:{year}", detail={"format": fmt, "lang": lang})
        crash_point("report.rendered")
        emit(data, out, fmt == "pdf")


def _one_subject(credit_code: str | None, park: str | None, year: int) -> None:
    """An enterprise's credit code or --park, not both, and --year (usage errors in English and Chinese)."""
    if (credit_code is None) == (park is None):
        raise UsageError("give an enterprise's credit code or --park PARK_ID (one of them)",
                         zh="请给出企业的统一社会信用代码或 --park 园区编号（二者取一）")
    if not year:
        raise UsageError("--year is required", zh="缺少 --year（核算年度）")


@app.command()
def label(credit_code: Annotated[str | None, typer.Argument(help="the enterprise's unified social credit code")
                                 ] = None,
          year: Annotated[int, typer.Option("--year", help="activity year")] = 0,
          fmt: Annotated[str, typer.Option("--format", help="svg or png")] = "svg",
          out: Out = None, profile: Profile = "default",
          park: Annotated[str | None, typer.Option("--park", help="a park's id: the park label (园区绿电标识, "
                                                   "GREEN-POWER.md §10) instead of an enterprise's")] = None,
          lang: Annotated[str, typer.Option("--lang", help="the park label's first language: zh (中文) or en "
                                            "(English); the enterprise label is always bilingual")] = "zh") -> None:
    """The carbon evaluation label (碳评价标识) of an account, or with --park the park label (园区绿电标识), as SVG or
    PNG."""
    from dianta.accounts.query import get_account
    from dianta.lang import check_lang
    from dianta.reports.labels import label_image
    from dianta.reports.parks import park_label_image

    with store_session() as store:
        choice(fmt, ("svg", "png"), "--format")
        check_lang(lang)
        _one_subject(credit_code, park, year)
        if park is not None:
            data = park_label_image(store, park, year, fmt, lang, profile_id=profile)
            audit(store, "park.read", f"park-label:{park}:{year}", detail={"format": fmt, "lang": lang})
        else:
            assert credit_code is not None  # _one_subject
            record = get_account(store, credit_code=credit_code, year=year, profile_id=profile)
            data = label_image(record, name=str(record["name"]), fmt=fmt)  # type: ignore[arg-type]
            audit(store, "label.read", f"account:{credit_code}:{year}", detail={"format": fmt})
        emit(data, out, fmt == "png")


@app.command("verify-label")
def verify_label_command(code: Annotated[str, typer.Argument(help="the verification code printed on the label")]
                         ) -> None:
    """Check a label's verification code against the store: exit 0 when the label is valid, 1 when it is
    superseded by a later computation or was never issued."""
    from dianta.accounts.labels import verify_label

    with store_session() as store:
        result = verify_label(store, code)
        audit(store, "label.verify", f"label:{result['code']}", detail={"status": result["status"]})
    colour = "green" if result["status"] == "valid" else "yellow"
    if result["kind"] == "park":
        _print_park_label(result, colour)
        return
    console.print(f"[bold {colour}]{result['status']}[/]: {result['name']} ({result['credit_code']}), "
                  f"{result['year']}, grade {result['grade']} ({result['colour']}), profile "
                  f"{result['profile_id']}, issued {result['issued_at']}")
    flags = result["flags"]
    if isinstance(flags, list) and flags:  # the flags that qualify the grade (METHODOLOGY.md §7b), as on the label
        from dianta.glossary import FLAGS

        console.print("qualified by 限定: " + "; ".join(f"{FLAGS[f].zh} / {FLAGS[f].en}" if f in FLAGS else str(f)
                                                         for f in flags))
    if result["status"] != "valid":
        console.print(f"the published account of {result['year']} has changed since this label was issued; "
                      "the label is out of date")
        raise typer.Exit(1)


def _print_park_label(result: dict[str, object], colour: str) -> None:
    """What a park label states (GREEN-POWER.md §10), and exit 1 when it is superseded."""
    def pct(x: object) -> str:
        return "—" if x is None else f"{float(x) * 100:.1f} %"  # type: ignore[arg-type]

    console.print(f"[bold {colour}]{result['status']}[/]: park 园区 {result['park_name']} ({result['park_id']}), "
                  f"{result['year']}, green share 绿电占比 {pct(result['green_share'])} / target 目标 "
                  f"{pct(result['target_green_share'])}, CFE 逐时匹配 {pct(result['cfe_score'])}, profile "
                  f"{result['profile_id']}, issued {result['issued_at']}")
    if result["status"] != "valid":
        console.print(f"the published park account of {result['year']} has changed since this label was issued; "
                      "the label is out of date / 园区账户已重新计算，该标识已失效")
        raise typer.Exit(1)


@app.command("green-computing")
def green_computing(credit_code: Annotated[str, typer.Argument(help="the data centre's unified social credit code")],
                    year: Annotated[int, typer.Option("--year", help="the certificate's year")],
                    month: Annotated[str | None, typer.Option("--month", help="a month YYYY-MM of the year: a "
                                                              "monthly certificate")] = None,
                    fmt: Annotated[str, typer.Option("--format", help="json, pdf or html")] = "json",
                    out: Out = None, lang: Lang = "zh", profile: Profile = "default") -> None:
    """The green-computing certificate (绿电绿算溯源证书, GREEN-POWER.md §11) of a data centre for a year or a
    month: computed, issued with a verification code when it reaches a level, as JSON, PDF or HTML."""
    import json

    from dianta.accounts.computing import compute_certificate, interface_order, issue_certificate
    from dianta.lang import check_lang
    from dianta.reports.certificates import render_certificate

    with store_session() as store:
        choice(fmt, ("json", "pdf", "html"), "--format")
        check_lang(lang)
        cert = issue_certificate(store, compute_certificate(store, credit_code=credit_code, year=year, month=month,
                                                            profile=profile))
        audit(store, "certificate.issue", f"certificate:{credit_code}:{cert['period']}",
              detail={"format": fmt, "level": cert["level"], "code": cert["verification_code"]})
        data = (json.dumps(interface_order(cert), ensure_ascii=False, indent=2).encode() + b"\n" if fmt == "json"
                else render_certificate(cert, fmt=fmt, lang=lang))
        emit(data, out, fmt == "pdf")


@app.command("verify-certificate")
def verify_certificate_command(code: Annotated[str, typer.Argument(help="the verification code printed on the "
                                                                   "certificate")]) -> None:
    """Check a green-computing certificate's verification code: exit 0 when it is valid, 1 when it is superseded
    by a later computation or was never issued."""
    from dianta.accounts.computing import verify_certificate

    with store_session() as store:
        result = verify_certificate(store, code)
        audit(store, "certificate.verify", f"certificate:{result['code']}", detail={"status": result["status"]})
    colour = "green" if result["status"] == "valid" else "yellow"
    cfe = result["cfe_score"]
    console.print(f"[bold {colour}]{result['status']}[/]: period 期间 {result['period']}, level 等级 "
                  f"{result['level']}, CFE {'—' if cfe is None else f'{float(cfe):.4f}'}, green share 绿电占比 "  # type: ignore[arg-type]
                  f"{float(result['green_share']):.4f}")  # type: ignore[arg-type]
    if result["status"] != "valid":
        console.print("a later computation states other figures: this certificate is out of date / "
                      "后续计算结果已变化：该证书已失效")
        raise typer.Exit(1)


@app.command()
def portfolio(year: Annotated[int, typer.Option("--year", help="activity year")],
              bank: Annotated[str | None, typer.Option("--bank", help="the bank's organisation id: its "
                                                       "consented enterprises (default: every account)")]
              = None,
              fmt: Annotated[str, typer.Option("--format", help="pdf, html or xlsx")] = "pdf",
              out: Out = None, lang: Lang = "zh", profile: Profile = "default") -> None:
    """A bank's portfolio report: its consented enterprises by grade, industry and region."""
    from dianta.lang import check_lang
    from dianta.reports.portfolio import bank_portfolio, portfolio_codes, render_portfolio

    with store_session() as store:
        choice(fmt, ("pdf", "html", "xlsx"), "--format")
        check_lang(lang)
        data = bank_portfolio(store, year=year, codes=portfolio_codes(store, bank), bank_id=bank,
                              profile_id=profile)
        audit(store, "portfolio.read", f"portfolio:{bank or 'all'}:{year}",
              detail={"format": fmt, "credit_codes": [r["credit_code"] for r in data["enterprises"]]})  # type: ignore[attr-defined]
        emit(render_portfolio(data, fmt=fmt, lang=lang), out, fmt != "html")


@app.command("data-requirements")
def data_requirements(fmt: Annotated[str, typer.Option("--format", help="xlsx (the template) or html (the "
                                                       "page)")] = "xlsx",
                      out: Out = None, lang: Lang = "zh") -> None:
    """The data requirement table (数据需求表): the .xlsx template to fill in (one sheet per table, column
    notes, an example row) or the page that explains it."""
    from dianta.reports.requirements import requirements_html, requirements_xlsx

    choice(fmt, ("xlsx", "html"), "--format")
    data = requirements_xlsx() if fmt == "xlsx" else requirements_html(lang).encode()
    emit(data, out, fmt == "xlsx")
