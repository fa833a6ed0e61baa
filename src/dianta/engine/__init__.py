"""Engines: the heavy aggregation of interval data, written once as SQL, run on DuckDB (default) or a
distributed engine (DESIGN.md). Choice lives in :mod:`dianta.engine.choice`."""
