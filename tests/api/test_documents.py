"""POST /api/documents and GET /api/documents/{type}/{ref} (contract sections 1, 3, 6)."""
import json

import pytest

from .conftest import counts


def journal(ref="J1", date="2026-01-05", amount="500.00", **extra):
    return {"type": "journal", "ref": ref, "date": date, "memo": "提现",
            "lines": [{"account": "1001", "debit": amount}, {"account": "1002", "credit": amount}], **extra}


def test_post_journal_201_with_voucher_number(api, company):
    r = api.post("/documents", journal())
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "posted" and body["type"] == "journal" and body["ref"] == "J1"
    assert isinstance(body["id"], int)
    assert body["vouchers"] == ["记-2026-01-0001"]
    r = api.post("/documents", journal("J2", amount="1.5"))
    assert r.json()["vouchers"] == ["记-2026-01-0002"]


def test_duplicate_is_200_and_keys_in_any_order(api, company):
    api.post("/documents", journal())
    before = counts()
    doc = journal()
    reordered = dict(reversed(list(doc.items())))
    r = api.post("/documents", reordered)
    assert r.status_code == 200
    assert r.json()["status"] == "duplicate"
    assert r.json()["vouchers"] == ["记-2026-01-0001"]
    assert counts() == before


def test_duplicate_ref_is_422(api, company):
    api.post("/documents", journal())
    before = counts()
    r = api.post("/documents", journal(amount="600.00"))
    assert r.status_code == 422
    assert r.json()["error"] == "duplicate_ref"
    assert counts() == before


def _lines(**line):
    return [dict({"account": "1001", "debit": "10.00"}, **line), {"account": "1002", "credit": "10.00"}]


CASES = [
    ("full-width digits", {"lines": _lines(debit="５")}, "invalid_value"),
    ("exponent string", {"lines": _lines(debit="1.4E+2")}, "invalid_value"),
    ("empty string", {"lines": _lines(debit="")}, "invalid_value"),
    ("leading space", {"lines": _lines(debit=" 5")}, "invalid_value"),
    ("third decimal", {"lines": _lines(debit="1.005")}, "invalid_value"),
    ("negative", {"lines": _lines(debit="-10.00")}, "invalid_value"),
    ("boolean", {"lines": _lines(debit=True)}, "invalid_value"),
    ("huge", {"lines": _lines(debit="1" * 40)}, "invalid_value"),
    ("bad date", {"date": "2026-02-30"}, "invalid_value"),
    ("date format", {"date": "2026/01/05"}, "invalid_value"),
    ("bad time", {"time": "24:00:00"}, "invalid_value"),
    ("missing ref", {"ref": None}, "invalid_value"),
    ("empty ref", {"ref": ""}, "invalid_value"),
    ("ref not a string", {"ref": 7}, "invalid_value"),
    ("unknown type", {"type": "lifo_magic"}, "invalid_value"),
    ("unknown account", {"lines": _lines(account="9999")}, "unknown_account"),
    ("unbalanced", {"lines": [{"account": "1001", "debit": "10.00"}, {"account": "1002", "credit": "9.99"}]}, "unbalanced"),
    ("unknown customer", {"lines": _lines(customer="NOPE")}, "unknown_party"),
    ("unknown supplier", {"lines": _lines(supplier="NOPE")}, "unknown_party"),
    ("unknown item", {"lines": _lines(item="NOPE")}, "unknown_item"),
    ("unknown warehouse", {"lines": _lines(warehouse="NOPE")}, "unknown_warehouse"),
    ("before start period", {"date": "2025-12-31"}, "period_closed"),
    ("lines not a list", {"lines": "x"}, "invalid_value"),
    ("line not an object", {"lines": [1, 2]}, "invalid_value"),
]


@pytest.mark.parametrize("name,change,code", CASES, ids=[c[0] for c in CASES])
def test_rejected_documents_write_nothing(api, company, name, change, code):
    doc = {"type": "journal", "ref": "J1", "date": "2026-01-05", "lines": _lines()}
    doc.update(change)
    doc = {k: v for k, v in doc.items() if v is not None}
    before = counts()
    r = api.post("/documents", doc)
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert counts() == before


def test_error_carries_field_and_line(api, company):
    r = api.post("/documents", {"type": "journal", "ref": "J1", "date": "2026-01-05",
                                "lines": [{"account": "1001", "debit": "10.00"}, {"account": "9999", "credit": "10.00"}]})
    assert r.json() == {"error": "unknown_account", "message": r.json()["message"], "field": "account", "line": 2}


def test_float_literal_is_invalid_value(api, company):
    before = counts()
    raw = '{"type":"journal","ref":"J1","date":"2026-01-05","lines":[{"account":"1001","debit":1.5},{"account":"1002","credit":1.5}]}'
    r = api.post("/documents", raw)
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    raw = raw.replace("1.5", "1.5e0")
    assert api.post("/documents", raw).json()["error"] == "invalid_value"
    assert counts() == before


def test_integer_amounts_are_numbers(api, company):
    raw = '{"type":"journal","ref":"J1","date":"2026-01-05","lines":[{"account":"1001","debit":15},{"account":"1002","credit":"15.00"}]}'
    assert api.post("/documents", raw).status_code == 201


def test_period_closed(api, admin_api, company):
    assert api.post("/documents", {"type": "period_close", "ref": "CLOSE-2026-01", "date": "2026-01-31",
                                   "period": "2026-01"}).status_code == 201
    before = counts()
    r = api.post("/documents", journal("J9", date="2026-01-20"))
    assert r.status_code == 422 and r.json()["error"] == "period_closed"
    assert counts() == before
    assert api.post("/documents", journal("J9", date="2026-02-01")).status_code == 201


def test_no_company_yet(api, db):
    r = api.post("/documents", journal())
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"


@pytest.mark.parametrize("raw", [
    b"", b"   ", b"null", b"[]", b"[1,2]", b'"text"', b"42", b"{", b"{'a':1}", b"\xff\xfe\x00{", b"NaN",
    b'{"type": NaN}', b'{"type":"journal","ref":"J1","lines":Infinity}', b"1" * 5000,
    b'{"type":"journal","ref":"J1","date":"2026-01-05","lines":[{"account":"1001","debit":' + b"9" * 5000 + b"}]}",
    b"[" * 10000 + b"]" * 10000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b'{"type":"journal","ref":"J1","date":"2026-01-05","lines":[{"account":"1001","debit":' + b"9" * 60 + b'},{"account":"1002","credit":1}]}',
    b'{"type":"journal","ref":"\\u0000","date":"2026-01-05","lines":[]}',
    b'{"type":"journal","ref":"J\\ud800","date":"2026-01-05"}',
    b'{"type":["journal"],"ref":{"a":1}}', b'{"type":"journal","ref":"J1","date":"2026-01-05","lines":[[[[{}]]]]}',
])
def test_junk_bodies_are_422_never_500(api, company, raw):
    before = counts()
    r = api.post("/documents", raw)
    assert r.status_code == 422, (raw[:80], r.status_code, r.content[:300])
    assert r.json()["error"] == "invalid_value"
    assert counts() == before


@pytest.mark.parametrize("doc", [
    {"type": "purchase_invoice", "ref": "PI1", "date": "2026-01-05", "supplier": "S01",
     "lines": [{"receipt": "R1", "line": 10**30, "qty": "1", "unit_price": "1"}]},
    {"type": "item", "code": "X" * 10000, "name": "x", "uom": "kg"},
    {"type": "warehouse", "code": "W\u0000", "name": "x"},
    {"type": "customer", "code": "C9", "name": "x", "payment_terms": 10**30},
    {"type": "customer", "code": "C9", "name": "x", "credit_limit": 10**30},
    {"type": "item", "code": "I9", "name": "x", "uom": "kg", "units": {"t": 10**30}},
    {"type": "item", "code": "I9", "name": "x", "uom": "kg", "units": {"": "1"}},
    {"type": "account", "code": "100201", "name": "x" * 300, "parent": "1002"},
    {"type": "period_close", "ref": "C", "date": "2026-01-31", "period": "2026-13"},
    {"type": "journal", "ref": "J1", "date": "9999-12-31", "lines": _lines()},
    {"type": "journal", "ref": "J1", "date": "0001-01-01", "lines": _lines()},
    {"type": "journal", "ref": "J1", "date": "2026-01-05", "lines": _lines(account=["1001"])},
    {"type": "journal", "ref": "J1", "date": "2026-01-05", "lines": _lines(customer={"code": "C01"})},
])
def test_odd_values_never_500(api, company, doc):
    before = counts()
    r = api.post("/documents", doc)
    assert r.status_code in (201, 422), (doc, r.status_code, r.content[:300])
    if r.status_code == 422:
        assert counts() == before
        assert r.json()["error"] in ("invalid_value", "unknown_reference", "period_closed", "unknown_account")


def test_idempotency_key(api, company):
    h = {"HTTP_IDEMPOTENCY_KEY": "k-123"}
    r1 = api.post("/documents", journal(), headers=h)
    assert r1.status_code == 201
    before = counts()
    r2 = api.post("/documents", journal(), headers=h)
    assert r2.status_code == 201  # the first response again, not "duplicate"
    assert r2.json() == r1.json()
    assert r2["Idempotent-Replayed"] == "true"
    assert counts() == before
    # same key, another body
    r3 = api.post("/documents", journal("J2"), headers=h)
    assert r3.status_code == 422 and r3.json()["error"] == "invalid_value"
    assert counts() == before
    # without the key the same body is an ordinary duplicate
    assert api.post("/documents", journal()).json()["status"] == "duplicate"


def test_idempotency_key_not_stored_for_rejections(api, company):
    from stockbook.interchange.models import IdempotencyKey

    h = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    bad = {"type": "journal", "ref": "J1", "date": "2026-01-05", "lines": _lines(account="560201")}
    assert api.post("/documents", bad, headers=h).json()["error"] == "unknown_account"
    assert not IdempotencyKey.objects.exists()
    assert api.post("/documents", {"type": "account", "code": "560201", "name": "管理费用-办公费", "parent": "5602"}).status_code == 201
    assert api.post("/documents", bad, headers=h).status_code == 201


def test_idempotency_keys_are_per_user(api, admin_api, company):
    h = {"HTTP_IDEMPOTENCY_KEY": "shared"}
    assert api.post("/documents", journal(), headers=h).status_code == 201
    assert admin_api.post("/documents", journal("J2"), headers=h).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 201, "中文"])
def test_bad_idempotency_key(api, company, key):
    r = api.post("/documents", journal(), headers={"HTTP_IDEMPOTENCY_KEY": key})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"


def test_get_document(api, company):
    api.post("/documents", journal(time="10:00:00"))
    r = api.get("/documents/journal/J1")
    assert r.status_code == 200
    body = r.json()
    assert body["vouchers"] == ["记-2026-01-0001"] and body["status"] == "posted" and isinstance(body["id"], int)
    doc = {k: v for k, v in body.items() if k not in ("id", "status", "vouchers")}
    assert doc == journal(time="10:00:00")
    # what GET returns, minus the extras, posts as a duplicate
    assert api.post("/documents", doc).json()["status"] == "duplicate"


def test_get_master_document_and_company(api, company):
    r = api.get("/documents/item/A001")
    assert r.status_code == 200
    assert r.json()["units"] == {"t": "1000"} and r.json()["vouchers"] == []
    r = api.get("/documents/company/ACME")
    assert r.status_code == 200 and r.json()["name"] == "示例商贸有限公司"
    assert api.get("/documents/company/OTHER").status_code == 404


def test_get_document_missing(api, company):
    r = api.get("/documents/journal/NOPE")
    assert r.status_code == 404 and r.json()["error"] == "unknown_reference"
    r = api.get("/documents/nonsense/X")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    assert api.get("/documents/journal/%00").status_code in (404, 422)


def test_refs_with_slashes_and_chinese(api, company):
    assert api.post("/documents", journal("记/2026/一")).status_code == 201
    r = api.get("/documents/journal/记/2026/一")
    assert r.status_code == 200 and r.json()["ref"] == "记/2026/一"


def test_master_data_through_documents(api, company):
    r = api.post("/documents", {"type": "warehouse", "code": "WH2", "name": "二号仓"})
    assert r.status_code == 201 and r.json()["ref"] == "WH2" and r.json()["vouchers"] == []
    r = api.post("/documents", {"type": "warehouse", "code": "WH2", "name": "二号仓"})
    assert r.status_code == 200
    r = api.post("/documents", {"type": "warehouse", "code": "WH2", "name": "另一个"})
    assert r.status_code == 422 and r.json()["error"] == "duplicate_ref"
    # a built-in account line identical to the chart: duplicate without a document
    r = api.post("/documents", {"type": "account", "code": "220202", "name": "应付账款-暂估", "parent": "2202"})
    assert r.status_code == 200 and r.json()["status"] == "duplicate"


def test_response_is_utf8_json(api, company):
    r = api.post("/documents", {"type": "journal", "ref": "J1", "date": "2026-01-05", "lines": _lines(account="9999")})
    assert r["Content-Type"] == "application/json; charset=utf-8"
    assert "会计科目".encode() in r.content
    json.loads(r.content.decode("utf-8"))
