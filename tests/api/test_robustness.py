"""Every business document type, each field (and each line field) replaced by junk: a 201 or a 4xx error,
never a 5xx, and nothing written when rejected."""
import json

import pytest

from .conftest import counts

JUNK = [10**30, -1, [], {}, "x", None, True, "", "９", [{}], 2**63, "0.00001"]
BASE = {
    "purchase_receipt": {"ref": "R1", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "10", "unit_price": "5"}]},
    "purchase_invoice": {"ref": "PI", "date": "2026-01-06", "supplier": "S01", "lines": [{"receipt": "R1", "line": 1, "qty": "5", "unit_price": "5"}]},
    "purchase_return": {"ref": "PR", "date": "2026-01-06", "receipt": "R1", "lines": [{"line": 1, "qty": "1"}]},
    "sales_delivery": {"ref": "D1", "date": "2026-01-06", "customer": "C01", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "2", "unit_price": "9"}]},
    "sales_invoice": {"ref": "SI", "date": "2026-01-07", "customer": "C01", "lines": [{"delivery": "D0", "line": 1, "qty": "1", "unit_price": "9"}]},
    "sales_return": {"ref": "SR", "date": "2026-01-07", "delivery": "D0", "lines": [{"line": 1, "qty": "1"}]},
    "transfer": {"ref": "T", "date": "2026-01-07", "from": "WH1", "to": "WH2", "lines": [{"item": "A001", "qty": "1"}]},
    "stock_count": {"ref": "SC", "date": "2026-01-07", "warehouse": "WH1", "lines": [{"item": "A001", "counted_qty": "3", "unit_cost": "1"}]},
    "count_settlement": {"ref": "CS", "date": "2026-01-08", "count": "SC0"},
    "scrap": {"ref": "SP", "date": "2026-01-07", "warehouse": "WH1", "reason": "x", "lines": [{"item": "A001", "qty": "1"}]},
    "customer_receipt": {"ref": "CR", "date": "2026-01-08", "customer": "C01", "account": "1002", "amount": "5", "allocations": [{"invoice": "SI0", "amount": "1"}]},
    "supplier_payment": {"ref": "SPY", "date": "2026-01-08", "supplier": "S01", "account": "1002", "amount": "5", "allocations": [{"invoice": "PI0", "amount": "1"}]},
    "opening_stock": {"date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "1", "amount": "1"}]},
}

def cases():
    for typ, base in BASE.items():
        for k in base:
            for j in JUNK:
                yield typ, k, None, j
        if "lines" in base:
            for k in base["lines"][0]:
                for j in JUNK:
                    yield typ, "lines", k, j

@pytest.fixture
def setup(api, company):
    api.post("/documents", {"type": "warehouse", "code": "WH2", "name": "二"})
    assert api.post("/documents", {"type": "purchase_receipt", "ref": "R0", "date": "2026-01-02", "supplier": "S01",
                                   "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "unit_price": "5"}]}).status_code == 201
    r = api.post("/documents", {"type": "sales_delivery", "ref": "D0", "date": "2026-01-03", "customer": "C01", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "10", "unit_price": "9"}]})
    assert r.status_code == 201, r.content
    r = api.post("/documents", {"type": "sales_invoice", "ref": "SI0", "date": "2026-01-04", "customer": "C01", "lines": [{"delivery": "D0", "line": 1, "qty": "5", "unit_price": "9"}]})
    assert r.status_code == 201, r.content
    r = api.post("/documents", {"type": "purchase_invoice", "ref": "PI0", "date": "2026-01-04", "supplier": "S01", "lines": [{"receipt": "R0", "line": 1, "qty": "5", "unit_price": "5"}]})
    assert r.status_code == 201, r.content
    r = api.post("/documents", {"type": "stock_count", "ref": "SC0", "date": "2026-01-04", "warehouse": "WH1", "lines": [{"item": "A001", "counted_qty": "80"}]})
    assert r.status_code == 201, r.content
    return api

def test_junk_fields_never_500_nor_write(setup):
    api = setup
    bad = []
    n = 0
    for typ, k, lk, j in cases():
        doc = json.loads(json.dumps(BASE[typ])); doc["type"] = typ
        if lk is None:
            doc[k] = j
        else:
            doc["lines"][0][lk] = j
        before = counts()
        r = api.post("/documents", doc)
        n += 1
        if r.status_code >= 500:
            bad.append((typ, k, lk, repr(j)[:30], r.status_code))
        elif r.status_code >= 400:
            if counts() != before or "error" not in r.json():
                bad.append((typ, k, lk, repr(j)[:30], "wrote on error or no error code"))
    assert n > 500
    assert not bad
