"""The aggregation of interval data for one activity year, written once (DESIGN.md).

Kept to the SQL subset DuckDB and Spark share (``date_trunc``, ``hour``, ``least``, window sums), so the
same text runs on either engine. Timestamps are naive China Standard Time, so every bucket is a CST
bucket whatever the engine's time zone (METHODOLOGY.md §1).

Inputs: ``hourly`` (meter_id, hour, kwh, peak_kwh, n, q1_kwh … q4_kwh: the lake's hourly roll-ups of interval
readings, issue 18), ``readings`` (meter_id, ts, kwh: interval readings without a roll-up), ``meters`` (meter_id,
credit_code, valid_from_ts, valid_to_excl_ts), ``bounds`` (prev_start, y_start, y_end), ``tou`` (hour, period),
``onsite_interval`` (credit_code, ts, kwh), ``trades`` (contract_id, credit_code, month_start, kwh, in_boundary),
``profiles`` (contract_id, ts, kwh).

:data:`YEAR_SCRIPT` matches hours of year Y; :data:`PREV_MATCHING` (appended by :func:`year_script` only under the
hourly market-based method, GREEN-POWER.md §9b) matches the hours of Y−1 for indicator 3's recomputed Y−1
(``trades`` and ``profiles`` then hold Y−1's rows too). Both are written once, from the same templates.

A second script, :data:`STORAGE_SCRIPT`, gives a supplier's storage and green generation by hour
(GREEN-POWER.md §9c); it runs on its own, for the storage owners only.
"""

from __future__ import annotations

from dianta.engine.base import Statement

#: the roll-up's kWh of each quarter-hour of the hour (its first, second, third and fourth), summed over an
#: enterprise's meters for its coincident 15-minute peak (METHODOLOGY.md §6)
QUARTERS = ("q1_kwh", "q2_kwh", "q3_kwh", "q4_kwh")


#: each meter-hour with the enterprise holding the meter then (DATA-REQUIREMENTS: meters; a meter changes hands at
#: midnight, so an hour has one holder)
_HELD = """FROM meter_hour r
        JOIN meters m ON r.meter_id = m.meter_id AND r.hour >= m.valid_from_ts AND r.hour < m.valid_to_excl_ts
        CROSS JOIN bounds b"""


def _ent_hour(name: str, start: str, end: str, unique: bool) -> list[Statement]:
    """Enterprise hourly load of ``[bounds.start, bounds.end)`` from its meters' hours: kWh, the largest 15-minute
    kWh (§6: of the load summed over its meters, quarter-hour by quarter-hour, for an enterprise holding several:
    from their meter-hours' quarter-hours) and the quarter-hours with a reading. An enterprise holding one meter:
    its meter's hours (``assigned_hour``), summed only where two roll-ups hold the same meter-hour (``unique``: no
    two files read hold the same month, so none do)."""
    peak = "greatest(" + ", ".join(f"sum(r.{c})" for c in QUARTERS) + ")"
    n = " + ".join(f"CASE WHEN count(r.{c}) > 0 THEN 1 ELSE 0 END" for c in QUARTERS)
    several = Statement(f"{name}_several", f"""
        SELECT m.credit_code, r.hour, sum(r.kwh) AS kwh, {peak} AS peak_q, CAST({n} AS BIGINT) AS n
        {_HELD}
        WHERE r.hour >= b.{start} AND r.hour < b.{end} AND m.credit_code IN (SELECT credit_code FROM multi_meter)
        GROUP BY m.credit_code, r.hour""", materialise=True)
    one = f"""FROM assigned_hour a CROSS JOIN bounds b
              WHERE a.hour >= b.{start} AND a.hour < b.{end}
                AND a.credit_code NOT IN (SELECT credit_code FROM multi_meter)"""
    if unique:
        return [several, Statement(name, f"""
            SELECT a.credit_code, a.hour, a.kwh, a.peak_kwh AS peak_q, a.n {one}
            UNION ALL SELECT credit_code, hour, kwh, peak_q, n FROM {name}_several""")]
    return [several, Statement(name, f"""
        SELECT a.credit_code, a.hour, sum(a.kwh) AS kwh, max(a.peak_kwh) AS peak_q, CAST(sum(a.n) AS BIGINT) AS n
        {one} GROUP BY a.credit_code, a.hour
        UNION ALL SELECT credit_code, hour, kwh, peak_q, n FROM {name}_several""", materialise=True)]


def _matching(suffix: str, start: str, end: str, ent_hour: str) -> list[Statement]:
    """§7 hourly matching of the hours in ``[bounds.start, bounds.end)``: load ``L_h`` (``ent_hour`` + on-site),
    green supply ``G_h`` (on-site + the in-boundary trade profiles' shares, GREEN-POWER.md §9), and
    Σ min(L_h, G_h) and Σ L_h by month and hour of day (output ``matching{suffix}``)."""
    return [
        Statement(f"onsite_hour{suffix}", f"""
            SELECT o.credit_code, o.hour, o.kwh FROM onsite_hour_all o CROSS JOIN bounds b
            WHERE o.hour >= b.{start} AND o.hour < b.{end}"""),
        Statement(f"trade_hour{suffix}", f"""
            SELECT t.credit_code, t.hour, t.kwh FROM trade_hour_all t CROSS JOIN bounds b
            WHERE t.hour >= b.{start} AND t.hour < b.{end}"""),
        # (an enterprise without on-site generation: its grid hours as they are, one row per hour already)
        Statement(f"load_hour{suffix}", f"""
            SELECT credit_code, hour, kwh FROM {ent_hour}
            WHERE credit_code NOT IN (SELECT credit_code FROM onsite_hour{suffix})
            UNION ALL
            SELECT credit_code, hour, sum(kwh) AS kwh FROM (
                SELECT credit_code, hour, kwh FROM {ent_hour}
                WHERE credit_code IN (SELECT credit_code FROM onsite_hour{suffix})
                UNION ALL SELECT credit_code, hour, kwh FROM onsite_hour{suffix}) u
            GROUP BY credit_code, hour"""),
        Statement(f"green_hour{suffix}", f"""
            SELECT credit_code, hour, sum(kwh) AS kwh FROM (
                SELECT credit_code, hour, kwh FROM onsite_hour{suffix}
                UNION ALL SELECT credit_code, hour, kwh FROM trade_hour{suffix}) u
            GROUP BY credit_code, hour"""),
        # Σ min(L_h, G_h) and Σ L_h by month and hour of day (the report's heat map; summed for CFE; their
        # difference per month is GREEN-POWER.md §9b's U_m)
        Statement(f"matching{suffix}", f"""
            SELECT l.credit_code, month(l.hour) AS month, hour(l.hour) AS hour_of_day,
                   sum(least(l.kwh, coalesce(g.kwh, 0.0))) AS matched_kwh, sum(l.kwh) AS load_kwh
            FROM load_hour{suffix} l LEFT JOIN green_hour{suffix} g ON l.credit_code = g.credit_code AND l.hour = g.hour
            GROUP BY l.credit_code, month(l.hour), hour(l.hour)""", output=True),
    ]


def _year_script(unique: bool, parted: bool = False) -> list[Statement]:
    """The year's script (:data:`YEAR_SCRIPT`; ``unique``: no two interval files read hold the same month;
    ``parted``: a part of the enterprises, those of the extra input ``part_codes`` (credit_code), whose meters are
    all in ``meters``: on-site generation and trade shares kept for them only)."""

    def ours(alias: str) -> str:
        return f" AND {alias}.credit_code IN (SELECT credit_code FROM part_codes)" if parted else ""

    quarters = ", ".join(f"sum(CASE WHEN minute(ts) >= {15 * i} AND minute(ts) < {15 * i + 15} THEN kwh END) AS {c}"
                         for i, c in enumerate(QUARTERS))
    return [
        # every input is scanned once: the meter-hours (the lake's roll-ups, and the readings of files that have
        # none rolled up here; their quarter-hours again for the enterprises holding several meters), on-site
        # generation and trade profiles by hour are materialised and read from there
        Statement("meter_hour", f"""
            SELECT meter_id, hour, kwh, peak_kwh, n, {", ".join(QUARTERS)} FROM hourly
            UNION ALL
            SELECT meter_id, date_trunc('hour', ts) AS hour, sum(kwh) AS kwh, max(kwh) AS peak_kwh, count(*) AS n,
                   {quarters}
            FROM readings GROUP BY meter_id, date_trunc('hour', ts)"""),
        # enterprises that hold more than one meter: only their quarter-hours need summing across meters
        Statement("multi_meter", """
            SELECT credit_code FROM meters GROUP BY credit_code HAVING count(*) > 1""", materialise=True),
        # each meter-hour with its holder (years Y-1 and Y), without the quarter-hours: those are read from the
        # meter-hours again for the enterprises holding several meters only (reading them for every meter took
        # 1.7x as long at 1,000 meters)
        Statement("assigned_hour", f"""
            SELECT r.meter_id, m.credit_code, r.hour, r.kwh, r.peak_kwh, r.n
            {_HELD}
            WHERE r.hour >= b.prev_start AND r.hour < b.y_end""", materialise=True),
        # §3: the 15-minute sum of each meter, holder and month (years Y-1 and Y)
        Statement("meter_month", """
            SELECT meter_id, credit_code, date_trunc('month', hour) AS month, sum(kwh) AS kwh,
                   CAST(sum(n) AS BIGINT) AS n
            FROM assigned_hour GROUP BY meter_id, credit_code, date_trunc('month', hour)""", output=True),
        # enterprise load (15-minute, over its meters), rolled up to hours of year Y
        *_ent_hour("ent_hour", "y_start", "y_end", unique),
        # the enterprise hours by day and time-of-use period, in one pass over them (the three below read this)
        Statement("ent_day_period", """
            SELECT h.credit_code, date_trunc('day', h.hour) AS day, t.period, sum(h.kwh) AS kwh,
                   max(h.peak_q) AS peak_q, CAST(sum(h.n) AS BIGINT) AS n
            FROM ent_hour h JOIN tou t ON hour(h.hour) = t.hour
            GROUP BY h.credit_code, date_trunc('day', h.hour), t.period""", materialise=True),
        # §6 load factor inputs
        Statement("ent_stats", """
            SELECT credit_code, sum(kwh) AS kwh, max(peak_q) AS peak_q, CAST(sum(n) AS BIGINT) AS n
            FROM ent_day_period GROUP BY credit_code""", output=True),
        # §6 operating rate inputs
        Statement("ent_day", """
            SELECT credit_code, day, sum(kwh) AS kwh FROM ent_day_period GROUP BY credit_code, day""", output=True),
        # §6 time-of-use split from 15-minute data
        Statement("ent_tou", """
            SELECT credit_code, period, sum(kwh) AS kwh FROM ent_day_period GROUP BY credit_code, period""",
                  output=True),
        # on-site generation by hour (years Y-1 and Y)
        Statement("onsite_hour_all", f"""
            SELECT o.credit_code, date_trunc('hour', o.ts) AS hour, sum(o.kwh) AS kwh
            FROM onsite_interval o CROSS JOIN bounds b WHERE o.ts >= b.prev_start AND o.ts < b.y_end{ours("o")}
            GROUP BY o.credit_code, date_trunc('hour', o.ts)""", materialise=True),
        # §3 E_onsite from interval rows where a month has no monthly row (years Y-1 and Y)
        Statement("onsite_month", """
            SELECT credit_code, date_trunc('month', hour) AS month, sum(kwh) AS kwh
            FROM onsite_hour_all GROUP BY credit_code, date_trunc('month', hour)""", output=True),
        # §7 hourly matching: each contract's share of its profile among its holders in a month (§7)
        Statement("shares", """
            SELECT contract_id, credit_code, month_start, in_boundary,
                   CASE WHEN sum(kwh) OVER (PARTITION BY contract_id, month_start) = 0 THEN 0
                        ELSE kwh / sum(kwh) OVER (PARTITION BY contract_id, month_start) END AS share
            FROM trades"""),
        # each holder's share of the in-boundary contracts' profiles by hour (years Y-1 and Y; §7: a contract's
        # share among all its holders, then only the holders inside its market boundary)
        Statement("trade_hour_all", f"""
            SELECT s.credit_code, date_trunc('hour', p.ts) AS hour, sum(p.kwh * s.share) AS kwh
            FROM profiles p
            JOIN shares s ON p.contract_id = s.contract_id AND date_trunc('month', p.ts) = s.month_start
            CROSS JOIN bounds b
            WHERE p.ts >= b.prev_start AND p.ts < b.y_end AND s.in_boundary{ours("s")}
            GROUP BY s.credit_code, date_trunc('hour', p.ts)""", materialise=True),
        *_matching("", "y_start", "y_end", "ent_hour"),
    ]


#: The year's script. Inputs: ``hourly`` (meter_id, hour, kwh, peak_kwh, n, q1_kwh … q4_kwh: the lake's roll-ups,
#: ``interval_hourly``, issue 18) and ``readings`` (meter_id, ts, kwh: the interval files that have no roll-up, rolled
#: up by the script), as well as those of the module's docstring. A meter-hour may be in several roll-ups (two
#: files holding the same month); every sum and count is the same set of readings as a script over the readings.
YEAR_SCRIPT: list[Statement] = _year_script(unique=False)


def _prev_matching(unique: bool) -> list[Statement]:
    return [*_ent_hour("ent_hour_prev", "prev_start", "y_start", unique),
            *_matching("_prev", "prev_start", "y_start", "ent_hour_prev")]


#: Y−1's hourly matching (GREEN-POWER.md §9b under ``market_method = "hourly"``): its output ``matching_prev``
PREV_MATCHING: list[Statement] = _prev_matching(unique=False)


#: GREEN-POWER.md §11: a data centre's hourly load and green supply by source, for the enterprises of the extra
#: input ``chosen`` (credit_code) only, appended to the year script of a run whose ``meters`` hold only theirs:
#: grid load by hour (``source_grid_hour``), on-site self-consumed generation (``source_onsite_hour``), each
#: in-boundary contract's share of its profile (``source_trade_hour``, §7), and the 15-minute sums of their IT
#: sub-meters by month (``it_meter_month``; extra input ``it_meters``: meter_id, credit_code, valid_from_ts,
#: valid_to_excl_ts)
SOURCE_STATEMENTS: list[Statement] = [
    Statement("source_grid_hour", """
        SELECT credit_code, hour, kwh FROM ent_hour
        WHERE credit_code IN (SELECT credit_code FROM chosen)""", output=True),
    Statement("source_onsite_hour", """
        SELECT credit_code, hour, kwh FROM onsite_hour
        WHERE credit_code IN (SELECT credit_code FROM chosen)""", output=True),
    Statement("source_trade_hour", """
        SELECT s.credit_code, p.contract_id, date_trunc('hour', p.ts) AS hour, sum(p.kwh * s.share) AS kwh
        FROM profiles p
        JOIN shares s ON p.contract_id = s.contract_id AND date_trunc('month', p.ts) = s.month_start
        CROSS JOIN bounds b
        WHERE p.ts >= b.y_start AND p.ts < b.y_end AND s.in_boundary
          AND s.credit_code IN (SELECT credit_code FROM chosen)
        GROUP BY s.credit_code, p.contract_id, date_trunc('hour', p.ts)""", output=True),
    Statement("it_meter_month", """
        SELECT i.meter_id, i.credit_code, date_trunc('month', r.hour) AS month, sum(r.kwh) AS kwh,
               CAST(sum(r.n) AS BIGINT) AS n
        FROM meter_hour r
        JOIN it_meters i ON r.meter_id = i.meter_id AND r.hour >= i.valid_from_ts AND r.hour < i.valid_to_excl_ts
        CROSS JOIN bounds b
        WHERE r.hour >= b.y_start AND r.hour < b.y_end AND i.credit_code IN (SELECT credit_code FROM chosen)
        GROUP BY i.meter_id, i.credit_code, date_trunc('month', r.hour)""", output=True),
]


def year_script(prev_matching: bool, sources: bool = False, *, unique_hours: bool = False, parted: bool = False
                ) -> list[Statement]:
    """The year's script; with ``prev_matching``, Y−1's hourly matching too; with ``sources``, the chosen data
    centres' hourly supply by source (:data:`SOURCE_STATEMENTS`); ``unique_hours``: no two interval files read
    hold the same month (an enterprise holding one meter takes its meter's hours as they are); ``parted``: run
    for the part of the enterprises in the extra input ``part_codes`` (every output is by enterprise, so the
    parts' outputs together are the whole run's)."""
    script = _year_script(unique_hours, parted) + (_prev_matching(unique_hours) if prev_matching else [])
    return script + SOURCE_STATEMENTS if sources else script

# GREEN-POWER.md §9c: a supplier's storage and its green generation, in hours of year Y. Inputs:
# ``storage_interval`` (credit_code, ts, kwh_charged, kwh_discharged), ``onsite_interval`` (credit_code, ts, kwh:
# the owner's green generation, DATA-REQUIREMENTS: onsite_generation_interval), ``bounds`` (as above). Output
# ``storage_hour``: one row per storage owner and hour with anything charged, discharged or generated (hours
# without a row are zero); the generation of enterprises without storage rows in the year is left out.
STORAGE_SCRIPT: list[Statement] = [
    Statement("charge_hour", """
        SELECT s.credit_code, date_trunc('hour', s.ts) AS hour, sum(s.kwh_charged) AS kwh_charged,
               sum(s.kwh_discharged) AS kwh_discharged
        FROM storage_interval s CROSS JOIN bounds b WHERE s.ts >= b.y_start AND s.ts < b.y_end
        GROUP BY s.credit_code, date_trunc('hour', s.ts)""", materialise=True),
    Statement("storage_owners", """
        SELECT DISTINCT credit_code FROM charge_hour""", materialise=True),
    Statement("owner_generation_hour", """
        SELECT o.credit_code, date_trunc('hour', o.ts) AS hour, sum(o.kwh) AS kwh
        FROM onsite_interval o CROSS JOIN bounds b
        WHERE o.ts >= b.y_start AND o.ts < b.y_end AND o.credit_code IN (SELECT credit_code FROM storage_owners)
        GROUP BY o.credit_code, date_trunc('hour', o.ts)"""),
    Statement("storage_hour", """
        SELECT credit_code, hour, sum(kwh_generated) AS kwh_generated, sum(kwh_charged) AS kwh_charged,
               sum(kwh_discharged) AS kwh_discharged FROM (
            SELECT credit_code, hour, kwh AS kwh_generated, CAST(0 AS DOUBLE) AS kwh_charged,
                   CAST(0 AS DOUBLE) AS kwh_discharged FROM owner_generation_hour
            UNION ALL
            SELECT credit_code, hour, CAST(0 AS DOUBLE) AS kwh_generated, kwh_charged, kwh_discharged
            FROM charge_hour) u
        GROUP BY credit_code, hour""", output=True),
]

# GREEN-POWER.md §10: pooled hourly load and green supply of parks, in hours of year Y. It reuses the year's hourly
# statements (each reading with its holder, enterprise hours, on-site and trade hours, L_h and G_h per enterprise)
# and adds the pooling. Extra inputs: ``park_roles`` (park_id, credit_code, month_start, role): a row per park,
# participant and month it counts in, role ``member`` (a covered member, L_h = load_hour, G_h = green_hour) or
# ``supplier`` (L_h = its grid draw ent_hour only, G_h = its trade shares + its generation: ``supplier_supply`` for a
# storage owner, §9c, else its onsite_generation_interval hours); ``supplier_supply`` (credit_code, hour, kwh).
# Output ``park_hour``: park_id, hour, load_kwh, green_kwh (one row per park and hour with load or supply).
_PARK_REUSED = ("meter_hour", "multi_meter", "assigned_hour", "ent_hour_several", "ent_hour", "onsite_hour_all",
                "shares", "trade_hour_all", "onsite_hour", "trade_hour", "load_hour", "green_hour")


def park_script(*, unique_hours: bool = False) -> list[Statement]:
    """:data:`PARK_SCRIPT` (``unique_hours`` as :func:`year_script`)."""
    return [*(st for st in _year_script(unique_hours) if st.name in _PARK_REUSED), *_PARK_POOLING]


_PARK_POOLING: list[Statement] = [
    Statement("park_load", """
        SELECT r.park_id, x.hour, sum(x.kwh) AS kwh FROM (
            SELECT credit_code, hour, kwh, 'member' AS role FROM load_hour
            UNION ALL SELECT credit_code, hour, kwh, 'supplier' AS role FROM ent_hour) x
        JOIN park_roles r ON x.credit_code = r.credit_code AND x.role = r.role
            AND date_trunc('month', x.hour) = r.month_start
        GROUP BY r.park_id, x.hour"""),
    Statement("park_green", """
        SELECT r.park_id, x.hour, sum(x.kwh) AS kwh FROM (
            SELECT credit_code, hour, kwh, 'member' AS role FROM green_hour
            UNION ALL SELECT credit_code, hour, kwh, 'supplier' AS role FROM trade_hour
            UNION ALL SELECT credit_code, hour, kwh, 'supplier' AS role FROM onsite_hour
                WHERE credit_code NOT IN (SELECT credit_code FROM supplier_supply)
            UNION ALL SELECT credit_code, hour, kwh, 'supplier' AS role FROM supplier_supply) x
        JOIN park_roles r ON x.credit_code = r.credit_code AND x.role = r.role
            AND date_trunc('month', x.hour) = r.month_start
        GROUP BY r.park_id, x.hour"""),
    Statement("park_hour", """
        SELECT park_id, hour, sum(load_kwh) AS load_kwh, sum(green_kwh) AS green_kwh FROM (
            SELECT park_id, hour, kwh AS load_kwh, CAST(0 AS DOUBLE) AS green_kwh FROM park_load
            UNION ALL SELECT park_id, hour, CAST(0 AS DOUBLE) AS load_kwh, kwh AS green_kwh FROM park_green) u
        GROUP BY park_id, hour""", output=True),
]


#: the park script over every month ("unique_hours" false)
PARK_SCRIPT: list[Statement] = park_script()
