"""Lists paged, sorted and exported by the server (issue 17 item 9): the accounts, the batches, the audit log."""

from __future__ import annotations

import csv
import io

from service import Service

YEAR = 2023


def test_accounts_sort_on_the_server_over_every_page(service: Service) -> None:
    with service.client("operator") as op:
        every = op.get("/api/v1/accounts", params={"year": YEAR, "page_size": 500}).json()
        assert every["total"] == len(every["items"]) == 8
        # by score, highest first, blanks (not rated) last, ties by credit code: pages of 3 laid end to end
        rated = sorted((a for a in every["items"] if a["score"] is not None),
                       key=lambda a: (-a["score"], a["credit_code"]))
        unrated = sorted(a["credit_code"] for a in every["items"] if a["score"] is None)
        expected = [a["credit_code"] for a in rated] + unrated
        pages = [op.get("/api/v1/accounts", params={"year": YEAR, "page_size": 3, "page": n, "sort": "-score"}).json()
                 for n in (1, 2, 3)]
        assert [p["total"] for p in pages] == [8, 8, 8] and [len(p["items"]) for p in pages] == [3, 3, 2]
        assert [a["credit_code"] for p in pages for a in p["items"]] == expected
        # ascending by name; the older parameter name `size` still pages
        by_name = op.get("/api/v1/accounts", params={"year": YEAR, "size": 500, "sort": "name"}).json()["items"]
        assert [a["name"] for a in by_name] == sorted(a["name"] for a in every["items"])
        # a field that is not on the list is refused, as is a page over 500
        assert op.get("/api/v1/accounts", params={"year": YEAR, "sort": "record_json"}).status_code == 422
        assert op.get("/api/v1/accounts", params={"year": YEAR, "page_size": 501}).status_code == 422
        # the names of the page's region codes come with the page (GB/T 2260, province first)
        names = every["region_names"]
        assert set(names) == {a["region_code"] for a in every["items"]}
        assert all(name.startswith("青海省") for name in names.values())


def test_account_export_keeps_the_lists_filter_and_order(service: Service) -> None:
    with service.client("operator") as op:
        listed = op.get("/api/v1/accounts", params={"year": YEAR, "industry": "C32", "sort": "-grade",
                                                    "page_size": 2}).json()
        assert listed["total"] == 5 and len(listed["items"]) == 2  # one page of two of the five C32 accounts
        every = op.get("/api/v1/accounts", params={"year": YEAR, "industry": "C32", "sort": "-grade",
                                                   "page_size": 500}).json()["items"]
        r = op.get("/api/v1/exports/accounts", params={"year": YEAR, "format": "csv", "industry": "C32",
                                                       "sort": "-grade"})
        assert r.status_code == 200
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        # every row the filter finds, not only the page, in the list's order
        assert [row["credit_code"] for row in rows] == [a["credit_code"] for a in every]
        assert len(rows) == 5
        grades = [int(g) for g in (row["grade"] for row in rows) if g]
        assert grades == sorted(grades, reverse=True)


def test_batches_and_audit_are_paged_with_their_total(service: Service) -> None:
    with service.client("operator") as op:
        every = op.get("/api/v1/batches", params={"page_size": 500}).json()
        total = every["total"]
        assert total == len(every["items"]) >= 2
        ids = [b["batch_id"] for b in every["items"]]
        assert ids == sorted(ids, reverse=True)  # newest first without a sort
        second = op.get("/api/v1/batches", params={"page_size": 1, "page": 2}).json()
        assert second["total"] == total and second["page"] == 2 and [b["batch_id"] for b in second["items"]] == [ids[1]]
        oldest = op.get("/api/v1/batches", params={"page_size": 1, "sort": "batch_id"}).json()["items"]
        assert [b["batch_id"] for b in oldest] == [min(ids)]
        assert op.get("/api/v1/batches", params={"sort": "summary_json"}).status_code == 422
        # the audit log: a page of entries, the total of every page in X-Total-Count
        r = op.get("/api/v1/audit", params={"action": "batch.read", "page": 1, "page_size": 2})
        n = int(r.headers["X-Total-Count"])
        assert n >= 3 and len(r.json()) == 2  # the three batch reads just above at least
        all_reads = op.get("/api/v1/audit", params={"action": "batch.read", "page_size": 500}).json()
        assert len(all_reads) == n and {e["action"] for e in all_reads} == {"batch.read"}
        page2 = op.get("/api/v1/audit", params={"action": "batch.read", "page": 2, "page_size": 2}).json()
        assert [e["entry_id"] for e in page2] == [e["entry_id"] for e in all_reads[2:4]]
        by_actor = op.get("/api/v1/audit", params={"sort": "actor", "page_size": 500}).json()
        assert [e["actor"] for e in by_actor] == sorted(e["actor"] for e in by_actor)
