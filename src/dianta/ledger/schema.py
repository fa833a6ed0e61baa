"""Ledger tables (SQLAlchemy Core). Data tables are generated from the glossary; each row carries its
key as JSON (``row_key``) so that re-sends, corrections and history work the same for every table."""

from __future__ import annotations

import sqlalchemy as sa

from dianta.glossary import TABLES, Column

metadata = sa.MetaData()


def _sql_type(col: Column) -> sa.types.TypeEngine:
    if col.type in ("kwh", "mwh", "mw", "money_cny", "money_10k_cny", "percent", "share"):
        return sa.Float()
    if col.type == "year":
        return sa.Integer()
    if col.type == "bool":
        return sa.Boolean()
    return sa.String()


meta = sa.Table("meta", metadata, sa.Column("key", sa.String, primary_key=True), sa.Column("value", sa.String))

batches = sa.Table(
    "batches", metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.String, nullable=False),
    sa.Column("received_by", sa.String, nullable=False),
    sa.Column("reason", sa.String),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),  # applied | partial
    sa.Column("summary_json", sa.Text, nullable=False),
)

data_tables: dict[str, sa.Table] = {
    name: sa.Table(
        f"data_{name}", metadata,
        sa.Column("row_key", sa.String, primary_key=True),
        *(sa.Column(c.name, _sql_type(c), nullable=not c.required) for c in spec.columns),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.batch_id"), nullable=False),
    )
    for name, spec in TABLES.items() if not spec.lake
}
sa.Index("ix_meters_meter", data_tables["meters"].c.meter_id)
sa.Index("ix_monthly_meter", data_tables["consumption_monthly"].c.meter_id)

history = sa.Table(
    "history", metadata,
    sa.Column("history_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.batch_id"), nullable=False),
    sa.Column("table_name", sa.String, nullable=False),
    sa.Column("row_key", sa.String, nullable=False),
    sa.Column("old_json", sa.Text, nullable=False),
    sa.Column("new_json", sa.Text, nullable=False),
)
sa.Index("ix_history_key", history.c.table_name, history.c.row_key)

lake_files = sa.Table(
    "lake_files", metadata,
    sa.Column("path", sa.String, primary_key=True),  # relative to the lake root
    sa.Column("table_name", sa.String, nullable=False),
    sa.Column("month", sa.String, nullable=False),  # the first month of the file's rows (YYYY-MM)
    # the last month (migration 0006): a new batch's months of a year go to one file; a file is active or
    # superseded as a whole (a correction to one of its months rewrites its other months too)
    sa.Column("month_to", sa.String),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.batch_id"), nullable=False),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("state", sa.String, nullable=False),  # active | superseded
    sa.Column("superseded_by", sa.Integer),
    # what the file was when it was staged (migration 0009; null: published before, until `dianta lake verify
    # --record`), checked before every read of it (dianta.ledger.lake)
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("sha256", sa.String),
)
sa.Index("ix_lake_files", lake_files.c.table_name, lake_files.c.state, lake_files.c.month)

quarantine = sa.Table(
    "quarantine", metadata,
    sa.Column("quarantine_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.batch_id"), nullable=False),
    sa.Column("table_name", sa.String, nullable=False),
    sa.Column("row", sa.Integer),
    sa.Column("file", sa.String),
    sa.Column("values_json", sa.Text),  # the row as sent (text); null when kept as a Parquet file
    sa.Column("reasons_json", sa.Text, nullable=False),
    sa.Column("parquet_path", sa.String),  # relative to the lake root, for large interval tables
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("state", sa.String, nullable=False),  # open | resubmitted
    sa.Column("size_bytes", sa.BigInteger),  # of the parquet_path file, as lake_files (migration 0009)
    sa.Column("sha256", sa.String),
)

recalc_marks = sa.Table(
    "recalc_marks", metadata,
    sa.Column("credit_code", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),  # 0: every year
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.batch_id"), nullable=False),
)

benchmark_marks = sa.Table(
    "benchmark_marks", metadata,
    sa.Column("division", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.batch_id"), nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("profile_id", sa.String, nullable=False),
    sa.Column("profile_version", sa.String, nullable=False),
    sa.Column("profile_fingerprint", sa.String, nullable=False),
    sa.Column("factor_ids_json", sa.Text, nullable=False),
    sa.Column("inputs_fingerprint", sa.String, nullable=False),
    sa.Column("started_at", sa.String, nullable=False),
    sa.Column("finished_at", sa.String, nullable=False),
    sa.Column("run_by", sa.String, nullable=False),
    sa.Column("n_accounts", sa.Integer, nullable=False),
    sa.Column("last_batch_id", sa.Integer),  # the newest batch the run saw (null: runs before migration 0005)
    sa.Column("mode", sa.String),  # full | incremental
)

accounts = sa.Table(
    "accounts", metadata,
    sa.Column("credit_code", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("profile_id", sa.String, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("grade", sa.Integer),
    sa.Column("score", sa.Float),
    sa.Column("record_json", sa.Text, nullable=False),
)

# carbon evaluation labels (碳评价标识) as issued: a verification code per published label; kept when a later
# run changes the account, so a printed label can be told superseded rather than unknown
labels = sa.Table(
    "labels", metadata,
    sa.Column("code", sa.String, primary_key=True),
    sa.Column("credit_code", sa.String, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("profile_id", sa.String, nullable=False),
    sa.Column("grade", sa.Integer, nullable=False),
    sa.Column("colour", sa.String, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.run_id"), nullable=False),  # the run that first issued it
    sa.Column("issued_at", sa.String, nullable=False),
    sa.Index("ix_labels_account", "credit_code", "year", "profile_id"),
)

# green-computing certificates (绿电绿算溯源证书, GREEN-POWER.md §11) as issued: a verification code per certificate,
# what it states (``statement_json``, the INTERFACE.md fields), ``valid`` until a later computation of the same
# enterprise, period and profile states other figures (then ``superseded``)
computing_certificates = sa.Table(
    "computing_certificates", metadata,
    sa.Column("code", sa.String, primary_key=True),
    sa.Column("credit_code", sa.String, nullable=False),
    sa.Column("period", sa.String, nullable=False),  # YYYY or YYYY-MM
    sa.Column("profile_id", sa.String, nullable=False),
    sa.Column("level", sa.String, nullable=False),  # A | B | C | annual
    sa.Column("statement_json", sa.Text, nullable=False),
    sa.Column("state", sa.String, nullable=False),  # valid | superseded
    sa.Column("issued_at", sa.String, nullable=False),
    sa.Column("superseded_at", sa.String),
    sa.Index("ix_computing_certificates_period", "credit_code", "period", "profile_id"),
)

# -- green finance (METHODOLOGY.md §8) ----------------------------------------------------------------------

# each bank's pricing policies: immutable versions (a change is a new version)
pricing_policies = sa.Table(
    "pricing_policies", metadata,
    sa.Column("bank_id", sa.String, sa.ForeignKey("organisations.org_id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("effective_from", sa.String, nullable=False),  # ISO date
    sa.Column("body_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
)

# a loan priced with an account under a policy version; the discount holds from effective_on until the loan's
# next pricing
loan_pricings = sa.Table(
    "loan_pricings", metadata,
    sa.Column("pricing_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("loan_id", sa.String, nullable=False),
    sa.Column("bank_id", sa.String, nullable=False),
    sa.Column("credit_code", sa.String, nullable=False),
    sa.Column("policy_version", sa.Integer, nullable=False),
    sa.Column("account_year", sa.Integer),
    sa.Column("profile_id", sa.String, nullable=False),
    sa.Column("grade", sa.Integer),
    sa.Column("score", sa.Float),
    sa.Column("base_rate_pct", sa.Float, nullable=False),
    sa.Column("discount_bp", sa.Float, nullable=False),
    sa.Column("final_rate_pct", sa.Float, nullable=False),
    sa.Column("reasons_json", sa.Text, nullable=False),
    sa.Column("effective_on", sa.String, nullable=False),
    sa.Column("priced_at", sa.String, nullable=False),
    sa.Column("priced_by", sa.String, nullable=False),
    sa.ForeignKeyConstraint(["bank_id", "policy_version"], ["pricing_policies.bank_id", "pricing_policies.version"]),
    sa.Index("ix_loan_pricings_loan", "loan_id", "effective_on"),
)

# §6 credit-risk alerts as they first appeared in a published account (what a bank's daily digest lists)
alert_events = sa.Table(
    "alert_events", metadata,
    sa.Column("credit_code", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("profile_id", sa.String, primary_key=True),
    sa.Column("code", sa.String, primary_key=True),
    sa.Column("month", sa.String, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("first_seen_at", sa.String, nullable=False),
    sa.Index("ix_alert_events_seen", "first_seen_at"),
)

# -- the multi-user service (users, organisations, consents, API keys, audit log) -------------------------

organisations = sa.Table(
    "organisations", metadata,
    sa.Column("org_id", sa.String, primary_key=True),  # e.g. "operator", "BANK-QH-001", "PBOC-QH", a credit code
    sa.Column("kind", sa.String, nullable=False),  # operator | bank | enterprise | regulator | park
    sa.Column("name", sa.String, nullable=False),
    sa.Column("credit_code", sa.String, unique=True),  # enterprise organisations only
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("park_id", sa.String),  # park organisations only: the park (data_parks) it manages (migration 0013)
)
# one organisation per park (a unique index: SQLite adds it without rebuilding the table its users refer to)
sa.Index("ux_organisations_park_id", organisations.c.park_id, unique=True)

users = sa.Table(
    "users", metadata,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String, nullable=False, unique=True),
    sa.Column("password_hash", sa.String),  # argon2id; null for machine users that only use API keys
    sa.Column("role", sa.String, nullable=False),  # operator | bank | enterprise | regulator | park
    sa.Column("org_id", sa.String, sa.ForeignKey("organisations.org_id"), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
    # tokens carry it as their `gen` claim; bumped when the user is deactivated, which voids its tokens for good
    sa.Column("token_generation", sa.Integer, nullable=False, server_default=sa.text("0")),
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("key_id", sa.String, primary_key=True),  # the public part of the key
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    sa.Column("secret_hash", sa.String, nullable=False),  # argon2id of the secret part
    sa.Column("label", sa.String, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("revoked_at", sa.String),
)

revoked_tokens = sa.Table(
    "revoked_tokens", metadata,
    sa.Column("jti", sa.String, primary_key=True),
    sa.Column("expires_at", sa.Integer, nullable=False),  # unix time; rows can be purged after it
)

consents = sa.Table(
    "consents", metadata,
    sa.Column("consent_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("credit_code", sa.String, nullable=False),  # the enterprise granting
    sa.Column("bank_org_id", sa.String, sa.ForeignKey("organisations.org_id"), nullable=False),
    sa.Column("scope", sa.String, nullable=False),  # summary | full | reports
    sa.Column("granted_at", sa.String, nullable=False),
    sa.Column("granted_by", sa.String, nullable=False),
    sa.Column("expires_on", sa.String, nullable=False),  # ISO date, inclusive
    sa.Column("revoked_at", sa.String),
    sa.Column("revoked_by", sa.String),
)
sa.Index("ix_consents_lookup", consents.c.credit_code, consents.c.bank_org_id)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String, nullable=False),
    sa.Column("actor", sa.String, nullable=False),  # username, api key id, or the OS user of a CLI command
    sa.Column("role", sa.String, nullable=False),
    sa.Column("org_id", sa.String),
    sa.Column("action", sa.String, nullable=False),  # e.g. account.read, batch.upload, consent.grant
    sa.Column("resource", sa.String, nullable=False),  # e.g. account:9163…:2023
    sa.Column("outcome", sa.String, nullable=False),  # allowed | denied
    sa.Column("why", sa.Text),
    sa.Column("detail_json", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String, nullable=False),
    sa.Column("hash", sa.String, nullable=False),
    sqlite_autoincrement=True,  # ids never reused: sqlite_sequence is the log's high-water mark (migration 0008)
)

# GREEN-POWER.md §10: published park accounts (the record as JSON, as ``accounts``) and the park years a correction
# of a member's data or of the park made stale (cleared when the year's park accounts are published again)
park_accounts = sa.Table(
    "park_accounts", metadata,
    sa.Column("park_id", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("profile_id", sa.String, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("record_json", sa.Text, nullable=False),
)

park_marks = sa.Table(
    "park_marks", metadata,
    sa.Column("park_id", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),  # 0: every year
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.batch_id"), nullable=False),
)

# park labels (园区绿电标识, GREEN-POWER.md §10) as issued: a verification code per published park account and the
# figures it states (``figures_json``); kept when a later run changes the park account (``superseded_at``)
park_labels = sa.Table(
    "park_labels", metadata,
    sa.Column("code", sa.String, primary_key=True),
    sa.Column("park_id", sa.String, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("profile_id", sa.String, nullable=False),
    sa.Column("figures_json", sa.Text, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.run_id"), nullable=False),  # the run that first issued it
    sa.Column("issued_at", sa.String, nullable=False),
    sa.Column("superseded_at", sa.String),
    sa.Index("ix_park_labels_park", "park_id", "year", "profile_id"),
)

# how each bank handles the §6 alerts it sees (issue 17, migration 0015): one row per acknowledgement or assignment
# to one of the bank's users (``assignee``, a username), never changed; the newest assignment is the one that holds
alert_actions = sa.Table(
    "alert_actions", metadata,
    sa.Column("action_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bank_id", sa.String, sa.ForeignKey("organisations.org_id"), nullable=False),
    sa.Column("credit_code", sa.String, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("profile_id", sa.String, nullable=False),
    sa.Column("code", sa.String, nullable=False),
    sa.Column("month", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),  # acknowledge | assign
    sa.Column("assignee", sa.String),  # assign: the username of a user of the same bank
    sa.Column("at", sa.String, nullable=False),
    sa.Column("actor", sa.String, nullable=False),
    sa.ForeignKeyConstraint(["credit_code", "year", "profile_id", "code", "month"],
                            ["alert_events.credit_code", "alert_events.year", "alert_events.profile_id",
                             "alert_events.code", "alert_events.month"]),
    sa.Index("ix_alert_actions_bank", "bank_id", "credit_code"),
)
