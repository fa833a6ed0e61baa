"""The clock: China Standard Time for the enterprises' and banks' calendar days, UTC for the records' stamps.

Days (a consent's expiry, a loan's pricing day, the alerts of a day) are calendar days in China Standard Time
(UTC+8, no daylight saving); the moments the ledger records (a batch received, a run finished, a key issued)
are UTC, ISO 8601 to the second. Interval timestamps in the data are naive CST (DATA-REQUIREMENTS.md): a
source column that carries a zone is converted to :data:`CST_ZONE` when read.
"""

from __future__ import annotations

import datetime as dt

#: China Standard Time (UTC+8, no daylight saving)
CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
#: its IANA name, for SQL (DuckDB's ``timezone(...)``) and the dashboard
CST_ZONE = "Asia/Shanghai"


def today_cst() -> dt.date:
    """Today's date in China Standard Time (UTC+8)."""
    return dt.datetime.now(CHINA_STANDARD_TIME).date()


def now_iso() -> str:
    """Now, UTC, ISO 8601 to the second: when the ledger records something happened."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
