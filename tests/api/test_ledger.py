"""Vouchers, reports and periods over REST."""
import json

import pytest


def jr(ref, date, debit_acc, credit_acc, amount, **dims):
    return {"type": "journal", "ref": ref, "date": date,
            "lines": [dict({"account": debit_acc, "debit": amount}, **dims), {"account": credit_acc, "credit": amount}]}


@pytest.fixture
def booked(api, company):
    assert api.post("/documents", {"type": "opening_balance", "date": "2025-12-31", "ref": "OB",
                                   "lines": [{"account": "1002", "debit": "100000.00"}, {"account": "1405", "debit": "5000.00"},
                                             {"account": "3001", "credit": "105000.00"}]}).status_code == 201
    assert api.post("/documents", jr("J1", "2026-01-05", "1001", "1002", "500.00")).status_code == 201
    assert api.post("/documents", jr("J2", "2026-01-20", "1122", "5001", "1200.00", customer="C01")).status_code == 201
    assert api.post("/documents", jr("J3", "2026-02-03", "5602", "1001", "80.50")).status_code == 201


def test_vouchers_list_filters(api, booked):
    r = api.get("/vouchers")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 4
    nums = [v["number"] for v in body["items"]]
    assert nums[1:] == ["记-2026-01-0001", "记-2026-01-0002", "记-2026-02-0001"]
    v = body["items"][1]
    assert v["document"]["type"] == "journal" and v["document"]["ref"] == "J1"
    assert v["debit_total"] == "500.00" and v["credit_total"] == "500.00" and v["date"] == "2026-01-05"
    assert [x["number"] for x in api.get("/vouchers", period="2026-02").json()["items"]] == ["记-2026-02-0001"]
    assert api.get("/vouchers", account="1001").json()["count"] == 2
    assert api.get("/vouchers", account="1122").json()["count"] == 1  # 1122 itself (and below)
    assert api.get("/vouchers", account="2202").json()["count"] == 0
    assert api.get("/vouchers", date_from="2026-01-06", date_to="2026-01-31").json()["count"] == 1
    assert [x["number"] for x in api.get("/vouchers", limit=1, offset=2).json()["items"]] == ["记-2026-01-0002"]


@pytest.mark.parametrize("params,code", [
    ({"period": "2026-13"}, "invalid_value"), ({"period": "202601"}, "invalid_value"),
    ({"date_from": "2026-02-30"}, "invalid_value"), ({"date_to": "yesterday"}, "invalid_value"),
    ({"account": "9999"}, "unknown_account"), ({"limit": "0"}, "invalid_value"), ({"account": "\x00"}, "invalid_value"),
])
def test_vouchers_bad_filters(api, booked, params, code):
    r = api.get("/vouchers", **params)
    assert r.status_code == 422 and r.json()["error"] == code


def test_voucher_detail(api, booked):
    vid = api.get("/vouchers", period="2026-01").json()["items"][1]["id"]
    v = api.get(f"/vouchers/{vid}").json()
    assert v["number"] == "记-2026-01-0002"
    assert [(ln["account"], ln["debit"], ln["credit"], ln["customer"], ln["doc_line"]) for ln in v["lines"]] == [
        ("1122", "1200.00", "0.00", "C01", 1), ("5001", "0.00", "1200.00", None, 2)]
    assert v["lines"][0]["account_name"] == "应收账款"
    r = api.get("/vouchers/999999")
    assert r.status_code == 404 and r.json()["error"] == "unknown_reference"
    assert api.get("/vouchers/99999999999999999999999").status_code in (404, 422)


def test_trial_balance_json_is_the_contract_shape(api, booked):
    r = api.get("/reports/trial-balance", **{"from": "2026-01-01", "to": "2026-01-31"})
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"report", "from", "to", "rows"}
    assert body["report"] == "trial-balance" and body["from"] == "2026-01-01" and body["to"] == "2026-01-31"
    rows = {row["account"]: row for row in body["rows"]}
    assert rows["1001"] == {"account": "1001", "name": "库存现金", "opening": "0.00", "debit": "500.00", "credit": "0.00",
                            "closing": "500.00"}
    assert rows["1002"]["opening"] == "100000.00" and rows["1002"]["closing"] == "99500.00"
    assert [row["account"] for row in body["rows"]] == sorted(rows)
    # the same bytes as the CLI's --format json
    from stockbook.reports.base import render
    from stockbook.reports.registry import build_report
    from datetime import date

    rep = build_report("trial-balance", {"start": date(2026, 1, 1), "end": date(2026, 1, 31)})
    assert json.loads(render(rep, "json")) == body


@pytest.mark.parametrize("fmt,ctype,magic", [
    ("csv", "text/csv", "\ufeff".encode()), ("xlsx", "application/vnd.openxmlformats", b"PK"),
    ("table", "text/plain", None),
])
def test_report_files(api, booked, fmt, ctype, magic):
    r = api.get("/reports/trial-balance", **{"from": "2026-01-01", "to": "2026-01-31", "format": fmt})
    assert r.status_code == 200
    assert r["Content-Type"].startswith(ctype)
    if magic:
        assert r.content.startswith(magic)
    if fmt != "table":
        assert "attachment" in r["Content-Disposition"] and f".{fmt}" in r["Content-Disposition"]


def test_report_pdf(api, booked):
    r = api.get("/reports/trial-balance", **{"from": "2026-01-01", "to": "2026-01-31", "format": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


@pytest.mark.parametrize("params", [
    {"from": "2026-02-30", "to": "2026-03-01"}, {"from": "2026-01-01"}, {"from": "2026-02-01", "to": "2026-01-01"},
    {"from": "2026-01-01", "to": "2026-01-31", "format": "docx"}, {"from": "１", "to": "2026-01-31"},
])
def test_report_bad_params(api, booked, params):
    r = api.get("/reports/trial-balance", **params)
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"


def test_unknown_report(api, company):
    r = api.get("/reports/no-such-report", as_of="2026-01-31")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"


def test_ledger_reports_through_api(api, booked):
    r = api.get("/reports/general-ledger", account="1001", **{"from": "2026-01-01", "to": "2026-02-28"})
    assert r.status_code in (200, 422), r.content
    if r.status_code == 200:
        assert r.json()["report"] == "general-ledger"
    r = api.get("/reports/detail-ledger", account="1122", customer="C01", **{"from": "2026-01-01", "to": "2026-01-31"})
    assert r.status_code in (200, 422), r.content


def test_periods_and_reopen(api, admin_api, booked):
    r = api.get("/periods")
    assert r.json() == {"start_period": "2026-01", "next_to_close": "2026-01", "items": []}
    api.post("/documents", {"type": "period_close", "ref": "CL1", "date": "2026-01-31", "period": "2026-01"})
    body = api.get("/periods").json()
    assert body["next_to_close"] == "2026-02"
    assert [(p["period"], p["status"]) for p in body["items"]] == [("2026-01", "closed")]
    # reopen needs the right 反结账 (财务 has 期末结账 but not 反结账)
    from django.test import Client

    from stockbook.users.models import ApiToken
    from tests.api.conftest import Api
    from tests.roles import role_user

    accountant = role_user("accountant", "财务")
    r = Api(Client(), ApiToken.issue(accountant, "t")[1]).post("/periods/2026-01/reopen")
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"
    r = admin_api.post("/periods/2025-12/reopen?reason=x")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    r = admin_api.post("/periods/2026-1/reopen?reason=x")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    r = admin_api.post("/periods/2026-01/reopen")  # a reason is needed
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    # 反结账 is an approved action: asked for (checked at once), carried out on the final approval
    chief = role_user("chief", "财务主管", "pw-secret-4")
    r = admin_api.post("/periods/2026-01/reopen?reason=" + "补录漏记的发票")
    assert r.status_code == 202 and r.json()["status"] == "pending", r.content
    assert api.get("/periods").json()["items"][0]["status"] == "closed"
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import approve

    approve(ApprovalRequest.objects.get(pk=r.json()["approval"]), chief, "pw-secret-4")
    assert api.get("/periods").json()["items"][0]["status"] == "open"
    assert api.post("/documents", jr("J4", "2026-01-25", "1001", "1002", "1.00")).status_code == 201


def test_periods_without_company(api, db):
    assert api.get("/periods").json() == {"start_period": None, "next_to_close": None, "items": []}


def test_contract_section5_example_over_rest(api, company):
    """Contract section 5: opening 100 kg = 5000.00, receipt 10 kg @ 52.00, delivery 15 kg @ 80.00 (moving average)."""
    docs = [
        {"type": "opening_balance", "date": "2025-12-31", "lines": [{"account": "1002", "debit": "100000.00"},
                                                                   {"account": "1405", "debit": "5000.00"},
                                                                   {"account": "3001", "credit": "105000.00"}]},
        {"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "5000.00"}]},
        {"type": "purchase_receipt", "ref": "R1", "date": "2026-01-10", "supplier": "S01", "warehouse": "WH1",
         "lines": [{"item": "A001", "qty": "10", "unit_price": "52.00"}]},
        {"type": "sales_delivery", "ref": "D1", "date": "2026-01-20", "customer": "C01", "warehouse": "WH1",
         "lines": [{"item": "A001", "qty": "15", "unit_price": "80.00"}]},
    ]
    results = [api.post("/documents", d) for d in docs]
    assert [r.status_code for r in results] == [201, 201, 201, 201], [r.content for r in results]
    assert results[2].json()["vouchers"] == ["记-2026-01-0001"]
    assert results[3].json()["vouchers"] == ["记-2026-01-0002"]
    assert api.get("/documents/sales_delivery/D1").json()["vouchers"] == ["记-2026-01-0002"]

    sb = api.get("/reports/stock-balance", as_of="2026-01-31").json()
    assert sb == {"report": "stock-balance", "as_of": "2026-01-31",
                  "rows": [{"item": "A001", "warehouse": "WH1", "qty": "95", "value": "4767.27", "pending": False}]}
    tb = api.get("/reports/trial-balance", **{"from": "2026-01-01", "to": "2026-01-31"}).json()
    rows = {r["account"]: r for r in tb["rows"]}
    assert rows["1405"] == {"account": "1405", "name": "库存商品", "opening": "5000.00", "debit": "520.00",
                            "credit": "752.73", "closing": "4767.27"}
    assert rows["220202"]["closing"] == "-520.00"
    rc = api.get("/reports/reconcile", as_of="2026-01-31").json()
    assert rc["report"] == "reconcile" and rc["as_of"] == "2026-01-31"
    stock = [r for r in rc["rows"] if r["ledger"] == "stock" and r["account"] == "1405"][0]
    assert stock["gl"] == stock["subledger"] == "4767.27" and stock["difference"] == "0.00"
    # missing as_of
    r = api.get("/reports/stock-balance")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    # the delivery's voucher in detail
    vid = [v for v in api.get("/vouchers", period="2026-01").json()["items"] if v["number"] == "记-2026-01-0002"][0]["id"]
    lines = api.get(f"/vouchers/{vid}").json()["lines"]
    assert {(ln["account"], ln["debit"], ln["credit"]) for ln in lines} >= {("5401", "752.73", "0.00"), ("1405", "0.00", "752.73")}
