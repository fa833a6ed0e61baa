"""The store: a relational ledger (SQLAlchemy) and a columnar lake (Parquet) under one root."""
