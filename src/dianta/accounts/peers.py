"""An account among its peers and its figures over the years (issue 17), read from the published accounts.

Read time, not compute time: peers are a view over the set of accounts published for a year and profile, so they
are gathered when asked rather than stored in each record. Stored, every record would carry a summary of the other
firms' figures into its exports, fingerprint and label; an account published before this feature would have none
until its year is computed again; and the minimum group size (a disclosure rule of the profile) would be frozen at
publication. Read, it costs one query of the year's accounts that takes six fields of each record out of the
database (json_extract / ->>), not the records: 0.2 s for 10,000 accounts on SQLite (:func:`account_peers`).

The peer group of a figure is the benchmark group of METHODOLOGY.md §7b: the accounts of the same year and profile in
the account's GB/T 4754 division (letter + 2 digits), or its section (the letter) when fewer than the profile's
``peers.min_group_size`` accounts of the division have the figure; smaller than that in the section too, the group
is "too small" and nothing of it is revealed (no rank, percentile or distribution). As for the benchmark, only
intensities on value added form the intensity distribution; an intensity on revenue is placed against it.

Only the distribution is revealed: the members' values as an anonymous list sorted best first, never a name or code.
The caller authorises (``account.read`` on the account) and audits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.dialects.postgresql import JSONB

from dianta.calc.peers import peer_ranks, year_on_year
from dianta.errors import NotFound
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.profile import load_profile, shipped_profile
from dianta.reference.tables import industry_divisions, industry_sections

Metric = Literal["intensity", "score", "green_share"]
#: the compared figures and whether a higher value is better (rank 1 = best)
PEER_METRICS: dict[Metric, bool] = {"intensity": False, "score": True, "green_share": True}
#: the figures of the trend, and whether their year-on-year change is relative (v / v_prev − 1) or a difference
TREND_FIELDS: dict[str, bool] = {"grade": False, "score": False, "intensity": True, "emissions_t": True,
                                 "green_share": False, "cfe_score": False}


class PeerFigure(TypedDict):
    """One figure of an account among its peers; ``status``: ``ranked``, ``no_value`` (the account has none: the
    distribution alone), ``too_small`` (no group of the minimum size: nothing revealed) or ``no_industry``."""

    metric: Metric
    status: Literal["ranked", "no_value", "too_small", "no_industry"]
    group: str | None
    group_level: Literal["division", "section"] | None
    group_name_zh: str | None
    size: int
    excluded: int
    value: float | None
    rank: int | None
    percentile: float | None
    distribution: list[float] | None
    higher_is_better: bool
    member: bool  # the account's figure is one of the distribution (false: null, or an intensity on revenue)


class Peers(TypedDict):
    credit_code: str
    year: int
    profile_id: str
    min_group_size: int
    figures: list[PeerFigure]


class TrendYear(TypedDict):
    year: int
    grade: int | None
    score: float | None
    intensity: float | None
    emissions_t: float | None
    green_share: float | None
    cfe_score: float | None
    changes: dict[str, float | None]


class Trend(TypedDict):
    credit_code: str
    profile_id: str
    years: list[TrendYear]


def min_group_size(profile_id: str) -> int:
    """The profile's ``peers.min_group_size``; an operator's own profile (not shipped, not readable here) takes the
    default profile's."""
    return (shipped_profile(profile_id) or load_profile("default")).peers_min_group_size


def _num(x: object) -> float | None:
    return None if x is None else float(x)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _Year:
    """The figures peers compare, one element per published account of a year and profile."""

    codes: list[str]
    industry: NDArray[np.str_]
    value_added: NDArray[np.bool_]
    values: dict[Metric, NDArray[np.float64]]


def _field(store: Store, name: str, number: bool) -> sa.ColumnElement[Any]:
    """A top-level field of the stored record, read by the database (only these few fields leave it, rather than
    every record's JSON): SQLite's ``json_extract``, PostgreSQL's ``->>``."""
    acc = schema.accounts
    if store.engine.dialect.name == "postgresql":
        text = sa.cast(acc.c.record_json, JSONB)[name].astext
        return sa.cast(text, sa.Float) if number else text
    return sa.func.json_extract(acc.c.record_json, f"$.{name}")


def _read_year(store: Store, year: int, profile_id: str) -> _Year:
    acc = schema.accounts
    numbers = list(PEER_METRICS)
    columns = [acc.c.credit_code, _field(store, "industry_code", False), _field(store, "value_basis", False),
               *(_field(store, m, True) for m in numbers)]
    with store.engine.connect() as con:
        rows = con.execute(sa.select(*columns).where(acc.c.year == year, acc.c.profile_id == profile_id)
                           .order_by(acc.c.credit_code)).all()
    values = {m: np.array([np.nan if r[3 + i] is None else float(r[3 + i]) for r in rows], dtype=float)
              for i, m in enumerate(numbers)}
    return _Year([str(r[0]) for r in rows], np.array([str(r[1] or "") for r in rows], dtype=str),
                 np.array([r[2] == "value_added" for r in rows], dtype=bool), values)


def _figure(year: _Year, me: int, metric: Metric, minimum: int) -> PeerFigure:
    """``metric`` of account ``me`` among its peers (the module's group rule)."""
    higher = PEER_METRICS[metric]
    industry = str(year.industry[me])
    own_value = float(year.values[metric][me])
    own = None if np.isnan(own_value) else own_value
    forming = year.value_added if metric == "intensity" else np.ones(len(year.codes), dtype=bool)
    out = PeerFigure(metric=metric, status="no_industry", group=None, group_level=None, group_name_zh=None, size=0,
                     excluded=0, value=own, rank=None, percentile=None, distribution=None, higher_is_better=higher,
                     member=own is not None and bool(forming[me]))
    if not industry:
        return out
    levels: tuple[tuple[Literal["division", "section"], str, dict[str, str]], ...] = (
        ("division", industry[:3], industry_divisions()), ("section", industry[:1], industry_sections()))
    for level, key, names in levels:
        in_group = np.char.startswith(year.industry, key)
        ranks = peer_ranks(year.values[metric][in_group], higher_is_better=higher, member=forming[in_group])
        out["group"], out["group_level"], out["group_name_zh"] = key, level, names.get(key)
        out["size"], out["excluded"] = ranks.size, int(in_group.sum()) - ranks.size
        if ranks.size >= minimum:
            at = int(np.flatnonzero(np.flatnonzero(in_group) == me)[0])
            percentile = float(ranks.percentile[at])
            out["status"] = "ranked" if own is not None else "no_value"
            out["rank"] = int(ranks.rank[at]) or None
            out["percentile"] = None if np.isnan(percentile) else percentile
            out["distribution"] = [float(x) for x in ranks.distribution]
            return out
    out["status"] = "too_small"
    return out


def account_peers(store: Store, *, credit_code: str, year: int, profile_id: str = "default") -> Peers:
    """The account's intensity, score and green share among its peers of the year and profile (NotFound without
    the account)."""
    accounts = _read_year(store, year, profile_id)
    if credit_code not in accounts.codes:
        raise NotFound.of("no_account", credit_code=credit_code, year=year, profile_id=profile_id)
    me, minimum = accounts.codes.index(credit_code), min_group_size(profile_id)
    return Peers(credit_code=credit_code, year=year, profile_id=profile_id, min_group_size=minimum,
                 figures=[_figure(accounts, me, metric, minimum) for metric in PEER_METRICS])


def account_trend(store: Store, *, credit_code: str, profile_id: str = "default") -> Trend:
    """The enterprise's grade, score, intensity, emissions, green share and hourly CFE in every year with a published
    account under the profile, oldest first, with each figure's change against the calendar year before
    (:func:`dianta.calc.peers.year_on_year`: relative for intensity and emissions, a difference for the others; a
    grade step down (−1) is a better grade). NotFound without any account."""
    acc = schema.accounts
    with store.engine.connect() as con:
        rows = con.execute(sa.select(acc.c.year, acc.c.record_json).where(
            acc.c.credit_code == credit_code, acc.c.profile_id == profile_id).order_by(acc.c.year)).all()
    if not rows:
        raise NotFound.of("no_account_any_year", credit_code=credit_code, profile_id=profile_id)
    years = [int(r[0]) for r in rows]
    records = [json.loads(r[1]) for r in rows]
    column = {f: np.array([np.nan if r.get(f) is None else float(r[f]) for r in records]) for f in TREND_FIELDS}
    changes = {f: year_on_year(years, column[f], relative=rel) for f, rel in TREND_FIELDS.items()}
    out: list[TrendYear] = []
    for i, (y, r) in enumerate(zip(years, records, strict=True)):
        out.append(TrendYear(year=y, grade=r.get("grade"), score=_num(r.get("score")),
                             intensity=_num(r.get("intensity")), emissions_t=_num(r.get("emissions_t")),
                             green_share=_num(r.get("green_share")), cfe_score=_num(r.get("cfe_score")),
                             changes={f: None if np.isnan(changes[f][i]) else float(changes[f][i])
                                      for f in TREND_FIELDS}))
    return Trend(credit_code=credit_code, profile_id=profile_id, years=out)
