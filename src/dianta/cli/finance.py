"""The green-finance commands (METHODOLOGY.md §8): ``policy``, ``quote``, ``loan price``, ``interest-saved``,
``programme totals``, ``financed-emissions``, ``what-if``, ``alerts digest``. Local commands act as the
operator and are audited; tables print with Rich, data goes to ``--out`` or standard output."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dianta.cli._output import choice, console, emit, err
from dianta.cli._runner import audit, store_session
from dianta.errors import UsageError

app = typer.Typer()
policy_app = typer.Typer(no_args_is_help=True, help="Each bank's versioned loan pricing policy.")
loan_app = typer.Typer(no_args_is_help=True, help="Loans priced with the account.")
programme_app = typer.Typer(no_args_is_help=True, help="What the regulator publishes.")
alerts_app = typer.Typer(no_args_is_help=True, help="§6 credit-risk alerts for the banks.")

Bank = Annotated[str, typer.Option("--bank", help="the bank's organisation id")]
OptionalBank = Annotated[str | None, typer.Option("--bank", help="one bank's organisation id (default: every bank)")]
Day = Annotated[str | None, typer.Option(help="a day YYYY-MM-DD (default: today, China Standard Time)")]
Out = Annotated[Path | None, typer.Option("--out", help="file (default: standard output)")]


def _day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: give a day as YYYY-MM-DD",
                         zh=f"{option} {text!r}：请按 YYYY-MM-DD 给出日期") from None


def _csv(rows: list[dict[str, Any]]) -> bytes:
    from dianta.accounts.export import safe_text

    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows([{k: "" if v is None else safe_text(v) for k, v in r.items()} for r in rows])
    return buf.getvalue().encode("utf-8-sig")


def print_quote(q: dict[str, Any]) -> None:
    console.print(f"{q['credit_code']} · {q['bank_id']} policy v{q['policy_version']} · {q['on']}: "
                  f"[bold]{q['base_rate_pct']:g} % − {q['discount_bp']:g} bp = {q['final_rate_pct']:g} %[/]")
    for reason in q["reasons"]:
        console.print(f"  · {reason}")


@policy_app.command("add")
def policy_add(bank: Bank, file: Annotated[Path, typer.Option("--file", help="the policy, TOML or JSON "
                                                              "(see `dianta policy example`)")]) -> None:
    """Save a bank's pricing policy as its next version."""
    from dianta.finance.pricing import save_policy

    with store_session() as store:
        try:
            text = file.read_text(encoding="utf-8")
            body = json.loads(text) if file.suffix.lower() == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise UsageError(f"{file}: cannot read the policy ({exc})",
                             zh=f"{file}：无法读取定价政策（{exc}）") from None
        policy = save_policy(store, bank_id=bank, body=body, actor=f"cli:{bank}")
        audit(store, "policy.manage", f"policy:{bank}:v{policy.version}")
        console.print(f"saved {bank} pricing policy v{policy.version} '{policy.name}', in effect from "
                      f"{policy.effective_from}")


@policy_app.command("example")
def policy_example() -> None:
    """Print an example policy (TOML) to copy and change."""
    console.print((Path(__file__).parents[1] / "finance" / "policy-example.toml").read_text(encoding="utf-8"),
                  markup=False, highlight=False)


@policy_app.command("list")
def policy_list(bank: Bank) -> None:
    """A bank's policy versions."""
    from dianta.finance.pricing import list_policies

    with store_session() as store:
        audit(store, "policy.read", f"policy:{bank}")
        table = Table("version", "name", "from", "cap bp", "grade → bp", "score link")
        for p in list_policies(store, bank_id=bank):
            link = "—" if p.score_base is None else f"{p.bp_per_point:g} bp/point above {p.score_base:g}"
            table.add_row(str(p.version), p.name, str(p.effective_from), f"{p.cap_bp:g}",
                          ", ".join(f"{g}: {bp:g}" for g, bp in sorted(p.grade_discount_bp.items())), link)
        console.print(table)


@app.command()
def quote(credit_code: Annotated[str, typer.Argument(help="the borrower's unified social credit code")],
          bank: Bank, base_rate: Annotated[float, typer.Option("--base-rate", help="base rate [% a year]")],
          on: Day = None, version: Annotated[int | None, typer.Option(help="policy version")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The rate a loan would get under a bank's policy, and why."""
    from dianta.finance.pricing import make_quote

    with store_session() as store:
        q = make_quote(store, bank_id=bank, credit_code=credit_code, base_rate_pct=base_rate,
                       on=_day(on, "--on"), version=version).as_dict()
        audit(store, "quote.create", f"quote:{bank}:{credit_code}", detail={"discount_bp": q["discount_bp"]})
    if as_json:
        console.print_json(json.dumps(q, ensure_ascii=False))
    else:
        print_quote(q)


@loan_app.command("price")
def loan_price(loan_id: Annotated[str, typer.Argument(help="the loan")], on: Day = None,
               version: Annotated[int | None, typer.Option(help="policy version")] = None) -> None:
    """Price a loan with its borrower's account under its bank's policy, and record it."""
    from dianta.finance.loans import loan_owner
    from dianta.finance.pricing import price_loan

    with store_session() as store:
        owner, _ = loan_owner(store, loan_id)
        record = price_loan(store, bank_id=owner, loan_id=loan_id, actor="cli", on=_day(on, "--on"),
                            version=version)
        audit(store, "loan.price", f"loan:{loan_id}", detail={"discount_bp": record["discount_bp"]})
    print_quote({**record, "on": record["effective_on"]})


@app.command("interest-saved")
def interest_saved(bank: OptionalBank = None, through: Day = None,
                   fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
                   out: Out = None) -> None:
    """Interest saved by loan and month (outstanding × discount × days / 360)."""
    from dianta.clock import today_cst
    from dianta.finance.interest import interest_saved_records
    from dianta.finance.loans import load_loans
    from dianta.finance.pricing import list_pricings

    with store_session() as store:
        choice(fmt, ("csv", "json"), "--format")
        day = _day(through, "--through") or today_cst()
        rows = interest_saved_records(load_loans(store, bank_id=bank), list_pricings(store, bank_id=bank),
                                      through=day)
        audit(store, "finance.read", f"interest:{bank or 'all'}", detail={"through": day.isoformat()})
        data = _csv(rows) if fmt == "csv" else json.dumps(rows, ensure_ascii=False, indent=1).encode()
        emit(data, out, False)
        err.print(f"{len(rows)} loan-months through {day}: {sum(r['interest_saved_cny'] for r in rows):,.2f} CNY "
                  "saved")


@programme_app.command("totals")
def programme_totals_command(through: Day = None, out: Out = None) -> None:
    """Enterprises with accounts, loans and amounts, interest saved, by bank, industry, region and month
    (JSON, with the loan records every figure is summed from)."""
    from dianta.clock import today_cst
    from dianta.finance.interest import programme_totals

    with store_session() as store:
        result = programme_totals(store, through=_day(through, "--through") or today_cst())
        audit(store, "statistics.read", "programme-totals", detail={"through": result["through"]})
        emit(json.dumps(result, ensure_ascii=False, indent=1).encode(), out, False)


@app.command("financed-emissions")
def financed(year: Annotated[int, typer.Option("--year", help="the year (loans outstanding on 31 December)")],
             bank: OptionalBank = None,
             fmt: Annotated[str, typer.Option("--format", help="json or xlsx")] = "json", out: Out = None,
             lang: Annotated[str, typer.Option("--lang", help="xlsx headers: zh or en")] = "zh") -> None:
    """Financed emissions (PCAF business loans): attribution, financed emissions, data quality, totals,
    economic intensity, WACI, coverage."""
    from dianta.finance.pcaf import financed_emissions, pcaf_json, pcaf_xlsx

    with store_session() as store:
        choice(fmt, ("json", "xlsx"), "--format")
        result = financed_emissions(store, bank_id=bank, year=year)
        audit(store, "finance.read", f"financed-emissions:{bank or 'all'}:{year}")
        emit(pcaf_json(result) if fmt == "json" else pcaf_xlsx(result, lang), out, fmt == "xlsx")


@app.command("what-if")
def what_if_command(credit_code: Annotated[str, typer.Argument(help="the enterprise")],
                    year: Annotated[int, typer.Option("--year", help="the account's year")],
                    bank: Annotated[str | None, typer.Option("--bank", help="price under this bank's policy")]
                    = None,
                    base_rate: Annotated[float, typer.Option("--base-rate", help="base rate [%]")] = 0.0,
                    on: Day = None) -> None:
    """The green power or intensity cut that reaches the next grade, and the discount that would follow."""
    from dianta.finance.whatif import what_if

    with store_session() as store:
        result = what_if(store, credit_code=credit_code, year=year, bank_id=bank, base_rate_pct=base_rate,
                         on=_day(on, "--on"))
        audit(store, "account.read", f"account:{credit_code}:{year}", detail={"what_if": True})
        r = result
    if r["next_grade"] is None:
        console.print(f"{credit_code} {year}: grade {r['grade']}: nothing above it")
        return
    console.print(f"{credit_code} {year}: grade {r['grade']} (score {r['score']:.1f}) → grade {r['next_grade']} "
                  f"needs {r['next_grade_score']:g}")
    green, cut = r["green"], r["intensity"]
    console.print("  green power: " + ("no green step reaches it" if green is None else
                  f"{green['extra_green_kwh'] / 1000:,.1f} MWh more (green share {green['green_share']:.0%}) → "
                  f"score {green['score']:.1f}"))
    console.print("  intensity:   " + ("no cut reaches it" if cut is None else
                  f"−{cut['reduction']:.1%} to {cut['intensity']:.4f} tCO2/10k CNY → score {cut['score']:.1f}"))
    if "discount_gain_bp" in r:
        now, then = r["quote_now"]["discount_bp"], r["quote_next_grade"]["discount_bp"]
        console.print(f"  {bank}: {now:g} bp now, {then:g} bp at grade {r['next_grade']} "
                      f"(+{r['discount_gain_bp']:g} bp)")


@alerts_app.command("digest")
def digest(bank: OptionalBank = None, day: Annotated[str | None, typer.Option("--date", help="the day "
                                                                              "(default today, CST)")] = None,
           fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv", out: Out = None) -> None:
    """The alerts first seen on a day, for the enterprises with a live consent to the bank (or all)."""
    from dianta.accounts.alerts import alert_events
    from dianta.clock import today_cst
    from dianta.reports.portfolio import portfolio_codes

    with store_session() as store:
        choice(fmt, ("csv", "json"), "--format")
        d = _day(day, "--date") or today_cst()
        events = alert_events(store, codes=portfolio_codes(store, bank), since=d, until=d)
        audit(store, "alerts.read", f"alerts:{bank or 'all'}:{d}", detail={"events": len(events)})
        data = _csv(events) if fmt == "csv" else json.dumps(events, ensure_ascii=False, indent=1).encode()
        emit(data, out, False)
        err.print(f"{len(events)} alert(s) first seen on {d}")
