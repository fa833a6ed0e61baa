"""The operator's intake over HTTP (issue 17, item 7): a batch previewed before it is applied (nothing written but
the audit entry), refused uploads kept and listed with their files, the quarantine downloaded with its reasons and
sent back corrected, corrections as column diffs, and a recomputation's dry run that equals the real run's changes.

The province (tests/province.py): A's June 2023 grid kWh is 40,000 (every other month 100,000).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from province import A, B
from service import Service

from dianta.accounts.compute import one_computation, published_changes, read_accounts
from dianta.ledger import schema
from dianta.ledger.store import Store

SKIP_LAKE = {"_tmp", "tmp", "_staging"}


def _ledger(service: Service) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every ledger table but the audit log (and ``meta``, which keeps the audit chain's mark)."""
    store = Store(service.db, lake=service.lake)
    try:
        with store.engine.connect() as con:
            return {t.name: sorted(tuple(map(str, r)) for r in con.execute(sa.select(t)))
                    for t in schema.metadata.sorted_tables if t.name not in ("audit_log", "meta")}
    finally:
        store.close()


def _lake(service: Service) -> set[str]:
    store = Store(service.db, lake=service.lake)
    try:
        return {p.relative_to(store.lake).as_posix() for p in store.lake.rglob("*")
                if p.is_file() and p.relative_to(store.lake).parts[0] not in SKIP_LAKE}
    finally:
        store.close()


def _audit(service: Service, action: str) -> list[dict[str, Any]]:
    store = Store(service.db, lake=service.lake)
    try:
        a = schema.audit_log
        with store.engine.connect() as con:
            return [dict(r) for r in con.execute(sa.select(a).where(a.c.action == action)
                                                 .order_by(a.c.entry_id)).mappings()]
    finally:
        store.close()


def _monthly(rows: list[tuple[str, str, float]]) -> bytes:
    return ("meter_id,month,kwh\n" + "".join(f"{m},{mo},{k}\n" for m, mo, k in rows)).encode()


MA, MB = f"M{A[-3:]}", f"M{B[-3:]}"


def test_a_preview_writes_nothing_and_says_what_applying_would_do(service: Service):
    before, lake_before = _ledger(service), _lake(service)
    # A's June corrected (40,000 -> 45,000), B's June as stored (50,000), A's July unchanged (100,000)
    good = _monthly([(MA, "2023-06", 45_000), (MB, "2023-06", 50_000), (MA, "2023-07", 100_000)])
    with service.client("operator") as op:
        r = op.post("/api/v1/batches/preview", files=[("files", ("consumption_monthly.csv", good))])
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "applicable" and body["errors"] == 0
        assert body["tables"] == {"consumption_monthly": {"rows": 3, "rejected": 0, "new": 0, "unchanged": 2,
                                                          "corrected": 1}}
        # one row of three is bad (month 13): refused as a whole, or quarantined with partial
        bad = _monthly([(MA, "2023-06", 45_000), (MA, "2023-13", 1), (MB, "2024-01", 50_000)])
        refused = op.post("/api/v1/batches/preview", files=[("files", ("consumption_monthly.csv", bad))]).json()
        assert refused["status"] == "refused" and refused["errors"] >= 1
        assert {(f["row"], f["column"], f["code"]) for f in refused["findings"]} >= {(3, "month", "not_a_month")}
        assert refused["tables"]["consumption_monthly"] == {"rows": 3, "rejected": 1, "new": 1, "unchanged": 0,
                                                            "corrected": 1}
        partial = op.post("/api/v1/batches/preview", files=[("files", ("consumption_monthly.csv", bad))],
                          data={"partial": "true"}).json()
        assert partial["status"] == "partial"
        # a zip of the files is the same batch
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w") as z:
            z.writestr("batch/consumption_monthly.csv", good)
        zipped = op.post("/api/v1/batches/preview", files=[("files", ("batch.zip", packed.getvalue()))]).json()
        assert zipped["tables"] == body["tables"]
        # only the operator previews
        with service.client("bank_a") as bank:
            assert bank.post("/api/v1/batches/preview",
                             files=[("files", ("consumption_monthly.csv", good))]).status_code == 403
    assert _ledger(service) == before and _lake(service) == lake_before
    audited = _audit(service, "batch.preview")
    assert [json.loads(e["detail_json"])["status"] for e in audited[-4:]] == ["applicable", "refused", "partial",
                                                                               "applicable"]


def test_a_refused_upload_is_kept_and_listed_with_its_findings_and_files(service: Service):
    data_before = {k: v for k, v in _ledger(service).items() if k.startswith("data_")}
    bad = _monthly([(MA, "2023-13", 1), ("M999", "2023-06", -5)])
    with service.client("operator") as op:
        r = op.post("/api/v1/batches", files=[("files", ("consumption_monthly.csv", bad))],
                    data={"reason": "月度抄表"})
        assert r.status_code == 422
        batch_id = r.json()["batch_id"]
        listed = op.get("/api/v1/batches", params={"status": "refused"}).json()["items"]
        (kept,) = [b for b in listed if b["batch_id"] == batch_id]
        assert kept["status"] == "refused" and kept["reason"] == "月度抄表" and kept["counts"] == {}
        assert kept["errors"] == len([f for f in r.json()["findings"] if f["severity"] == "error"]) >= 3
        assert [(f["name"], f["size_bytes"], f["kept"]) for f in kept["files"]] == [
            ("consumption_monthly.csv", len(bad), True)]
        assert batch_id in [b["batch_id"] for b in op.get("/api/v1/batches").json()["items"]]
        findings = op.get(f"/api/v1/batches/{batch_id}/findings").json()
        assert {(f["row"], f["column"], f["code"]) for f in findings} >= {
            (2, "month", "not_a_month"), (3, "kwh", "negative"), (3, "meter_id", "unknown_reference")}
        assert all(f["message_zh"] and f["message_en"] for f in findings)
        sent = op.get(f"/api/v1/batches/{batch_id}/files/consumption_monthly.csv")
        assert sent.status_code == 200 and sent.content == bad
        assert op.get(f"/api/v1/batches/{batch_id}/files/enterprises.csv").status_code == 404
        # a refused batch is no finding about an enterprise's data (nothing of it was stored)
        with service.client("ent_a") as ent:
            assert all(f["batch_id"] != batch_id for f in ent.get(f"/api/v1/enterprises/{A}/findings").json())
    assert {k: v for k, v in _ledger(service).items() if k.startswith("data_")} == data_before
    (entry,) = [e for e in _audit(service, "batch.upload") if e["resource"] == f"batch:{batch_id}"]
    assert json.loads(entry["detail_json"])["status"] == "refused"


def test_quarantined_rows_are_downloaded_with_reasons_corrected_and_sent_again(service: Service):
    bad = _monthly([(MA, "2023-13", 99_000), (MB, "2023-06", 50_000)])
    with service.client("operator") as op:
        r = op.post("/api/v1/batches", files=[("files", ("consumption_monthly.csv", bad))], data={"partial": "true"})
        assert r.status_code == 201, r.text
        batch_id = r.json()["batch_id"]
        (entry,) = op.get("/api/v1/quarantine", params={"batch_id": batch_id}).json()
        zh = op.get("/api/v1/quarantine/csv", params={"table": "consumption_monthly", "batch_id": batch_id})
        assert zh.status_code == 200 and zh.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(zh.content.decode("utf-8-sig"))))
        assert rows[0] == ["meter_id", "month", "kwh", "kwh_peak", "kwh_flat", "kwh_valley", "隔离原因"]
        assert rows[1][:3] == [MA, "2023-13", "99000"] and "月份" in rows[1][-1]
        en = op.get("/api/v1/quarantine/csv", params={"table": "consumption_monthly", "batch_id": batch_id,
                                                      "lang": "en"}).content.decode("utf-8-sig")
        assert en.splitlines()[0].endswith(",quarantine_reason") and "month" in en.splitlines()[1]
        # corrected in the file as downloaded (the reasons column is dropped) and sent again
        rows[1][1] = "2023-12"
        fixed = io.StringIO()
        csv.writer(fixed).writerows(rows)
        again = op.post("/api/v1/batches", files=[("files", ("consumption_monthly.csv", fixed.getvalue().encode()))],
                        data={"resubmits": str(entry["quarantine_id"]), "reason": "隔离区更正"})
        assert again.status_code == 201, again.text
        assert again.json()["counts"]["consumption_monthly"]["corrected"] == 1  # A's December: 100,000 -> 99,000
        assert entry["quarantine_id"] not in [q["quarantine_id"] for q in op.get("/api/v1/quarantine").json()]
        # corrections read as diffs, column by column, with who, when and why
        (diff,) = [c for c in op.get("/api/v1/corrections", params={"table": "consumption_monthly"}).json()
                   if c["batch_id"] == again.json()["batch_id"]]
        assert diff["reason"] == "隔离区更正" and diff["received_by"] == "operator" and diff["table_zh"]
        assert diff["changes"] == [{"column": "kwh", "column_zh": "月用电量", "old": 100000.0, "new": 99000.0}]


def test_a_dry_run_shows_the_changes_the_real_run_then_makes(service: Service):
    with service.client("operator") as op:
        # A's June 40,000 -> 400,000 kWh: A's intensity, and so its score, changes
        r = op.post("/api/v1/batches", files=[("files", ("consumption_monthly.csv",
                                                         _monthly([(MA, "2023-06", 400_000)])))])
        assert r.status_code == 201, r.text
        before_ledger = _ledger(service)
        dry = op.post("/api/v1/compute/dry-run", json={"year": 2023})
        assert dry.status_code == 200, dry.text
        run = dry.json()
        assert _ledger(service) == before_ledger  # nothing published, no run, no label, no mark settled
        assert A in [c["credit_code"] for c in run["changes"]]
        assert run["accounts"] == run["unchanged"] + len([c for c in run["changes"] if c["computed"]])
        store = Store(service.db, lake=service.lake)
        try:
            before = read_accounts(store, 2023)
            assert op.post("/api/v1/compute", json={"year": 2023}).status_code == 200
            after = read_accounts(store, 2023)
        finally:
            store.close()
        real = published_changes(before, after)
        assert [(c.credit_code, c.old_grade, c.new_grade, c.old_score, c.new_score) for c in real] == [
            (c["credit_code"], c["old_grade"], c["new_grade"], c["old_score"], c["new_score"]) for c in run["changes"]]
        # once published, a dry run finds nothing to change
        assert op.post("/api/v1/compute/dry-run", json={"year": 2023}).json()["changes"] == []
        with service.client("bank_a") as bank:
            assert bank.post("/api/v1/compute/dry-run", json={"year": 2023}).status_code == 403
    assert [json.loads(e["detail_json"])["changes"] for e in _audit(service, "compute.dry_run")][-2:] == [
        [c["credit_code"] for c in run["changes"]], []]


def test_a_second_computation_is_refused_while_one_runs(service: Service, tmp_path: Path):
    store = Store(service.db, lake=service.lake)
    try:
        with one_computation(store, what="compute 2023", user="operator"), service.client("operator") as op:
            for path in ("/api/v1/compute", "/api/v1/compute/dry-run"):
                r = op.post(path, json={"year": 2023})
                assert r.status_code == 409, r.text
                assert "a computation is running (compute 2023, started by operator" in r.json()["detail"]
                assert "一项计算正在运行" in r.json()["detail_zh"]
        with service.client("operator") as op:  # released: the next one runs
            assert op.post("/api/v1/compute/dry-run", json={"year": 2023}).status_code == 200
    finally:
        store.close()
