"""Pure, vectorised calculation functions of METHODOLOGY.md §3–§7b.

Nothing here imports storage, engine, API or CLI: functions take NumPy arrays (or scalars) and return
arrays. Missing values are NaN.
"""
