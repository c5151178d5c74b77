"""总账 / 明细账 on the small books of ``ledger_books`` (tests/reports/conftest.py).

1002 银行存款 with sub-accounts 100201, 100202: opening 1000.00 借;
January +100 (J1, 100201) +10 (J6, 100202, backdated) −30 (J2, 100202) → 1080.00;
February +200 (J4) → 1280.00; March +50 (J5, on 1002 itself) → 1330.00.
"""
import csv
import io
import json
from datetime import date

import pytest

from stockbook.core.errors import DocError
from stockbook.reports.base import render
from stockbook.reports.ledgers import detail_ledger, general_ledger
from stockbook.reports.registry import build_report

D = date.fromisoformat


def gl_rows(code, a, b):
    return general_ledger(code, D(a), D(b)).data["rows"]


def test_general_ledger_by_month_with_sub_accounts(ledger_books):
    rep = general_ledger("1002", D("2026-01-01"), D("2026-03-31"))
    assert rep.data["report"] == "general-ledger"
    assert (rep.data["account"], rep.data["from"], rep.data["to"]) == ("1002", "2026-01-01", "2026-03-31")
    got = [(r["period"], r["opening"], r["opening_direction"], r["debit"], r["credit"], r["ytd_debit"], r["ytd_credit"],
            r["closing"], r["direction"]) for r in rep.data["rows"]]
    assert got == [
        ("2026-01", "1000.00", "借", "110.00", "30.00", "110.00", "30.00", "1080.00", "借"),
        ("2026-02", "1080.00", "借", "200.00", "0.00", "310.00", "30.00", "1280.00", "借"),
        ("2026-03", "1280.00", "借", "50.00", "0.00", "360.00", "30.00", "1330.00", "借"),
    ]
    # the printed book: 期初余额, then 本月合计 / 本年累计 per month
    assert [(r["summary"], r["debit"], r["credit"], r["direction"], r["balance"]) for r in rep.rows] == [
        ("期初余额", "", "", "借", "1000.00"),
        ("本月合计", "110.00", "30.00", "借", "1080.00"), ("本年累计", "110.00", "30.00", "借", "1080.00"),
        ("本月合计", "200.00", "0.00", "借", "1280.00"), ("本年累计", "310.00", "30.00", "借", "1280.00"),
        ("本月合计", "50.00", "0.00", "借", "1330.00"), ("本年累计", "360.00", "30.00", "借", "1330.00"),
    ]


def test_general_ledger_sub_account_alone(ledger_books):
    rows = gl_rows("100202", "2026-01-01", "2026-02-28")
    assert [(r["debit"], r["credit"], r["closing"], r["direction"]) for r in rows] == [
        ("10.00", "30.00", "20.00", "贷"), ("0.00", "0.00", "20.00", "贷")]


def test_general_ledger_credit_account_direction(ledger_books):
    rows = gl_rows("3001", "2026-01-01", "2026-03-31")
    assert [(r["opening"], r["credit"], r["closing"], r["direction"]) for r in rows] == [
        ("1500.00", "110.00", "1610.00", "贷"), ("1610.00", "0.00", "1610.00", "贷"), ("1610.00", "50.00", "1660.00", "贷")]
    # 5001 (credit account) never had a balance before 2026: 平 at the start
    rows = gl_rows("5001", "2026-01-01", "2026-02-28")
    assert (rows[0]["opening"], rows[0]["opening_direction"]) == ("0.00", "平")
    assert (rows[1]["credit"], rows[1]["closing"], rows[1]["direction"]) == ("280.00", "280.00", "贷")


def test_general_ledger_mid_month_range(ledger_books):
    """From 01-15 to 02-10: opening includes J1 and J6; January shows only J2; 本年累计 still counts from
    January 1."""
    rows = gl_rows("1002", "2026-01-15", "2026-02-10")
    assert [(r["period"], r["from"], r["to"], r["opening"], r["debit"], r["credit"], r["ytd_debit"], r["ytd_credit"],
             r["closing"]) for r in rows] == [
        ("2026-01", "2026-01-15", "2026-01-31", "1110.00", "0.00", "30.00", "110.00", "30.00", "1080.00"),
        ("2026-02", "2026-02-01", "2026-02-10", "1080.00", "0.00", "0.00", "110.00", "30.00", "1080.00"),
    ]
    # both ends inside one month
    rows = gl_rows("1002", "2026-01-06", "2026-01-19")
    assert [(r["opening"], r["debit"], r["credit"], r["ytd_debit"], r["closing"]) for r in rows] == [
        ("1100.00", "10.00", "0.00", "110.00", "1110.00")]


def test_general_ledger_agrees_with_trial_balance(ledger_books):
    from stockbook.reports.trial_balance import trial_balance

    for a, b in [("2026-01-01", "2026-03-31"), ("2026-01-15", "2026-02-10"), ("2026-02-01", "2026-02-28")]:
        tb = {r["account"]: r for r in trial_balance(D(a), D(b)).data["rows"]}
        for code in ("1002", "100201", "100202", "1122"):
            rows = gl_rows(code, a, b)
            t = tb[code]
            assert sum(float(r["debit"]) for r in rows) == pytest.approx(float(t["debit"]))
            assert sum(float(r["credit"]) for r in rows) == pytest.approx(float(t["credit"]))
            sign = {"借": "", "平": "", "贷": "-"}
            assert sign[rows[0]["opening_direction"]] + rows[0]["opening"] == t["opening"].replace("-0.00", "0.00")
            assert sign[rows[-1]["direction"]] + rows[-1]["closing"] == t["closing"]


def test_detail_ledger_running_balance_and_month_totals(ledger_books):
    rep = detail_ledger("1002", D("2026-01-01"), D("2026-02-28"), {})
    rows = rep.data["rows"]
    got = [(r["kind"], r["date"], r["voucher"], r["account"], r["summary"], r["debit"], r["credit"], r["direction"],
            r["balance"]) for r in rows]
    assert got == [
        ("opening", "2026-01-01", "", "", "期初余额", "0.00", "0.00", "借", "1000.00"),
        ("line", "2026-01-05", "记-2026-01-0001", "100201", "收到投资款", "100.00", "0.00", "借", "1100.00"),
        ("line", "2026-01-10", "记-2026-01-0003", "100202", "补记利息", "10.00", "0.00", "借", "1110.00"),
        ("line", "2026-01-20", "记-2026-01-0002", "100202", "支付办公费", "0.00", "30.00", "借", "1080.00"),
        ("month", "2026-01-31", "", "", "本月合计", "110.00", "30.00", "借", "1080.00"),
        ("year", "2026-01-31", "", "", "本年累计", "110.00", "30.00", "借", "1080.00"),
        ("line", "2026-02-15", "记-2026-02-0002", "100201", "记账凭证 J4", "200.00", "0.00", "借", "1280.00"),
        ("month", "2026-02-28", "", "", "本月合计", "200.00", "0.00", "借", "1280.00"),
        ("year", "2026-02-28", "", "", "本年累计", "310.00", "30.00", "借", "1280.00"),
    ]
    # every line row carries its voucher id for drill-down
    from stockbook.ledger.models import Voucher

    for r in rows:
        if r["kind"] == "line":
            assert Voucher.objects.get(pk=r["voucher_id"]).display_number == r["voucher"]
        else:
            assert r["voucher_id"] is None
    # the printed view leaves the empty side blank
    assert (rep.rows[1]["debit"], rep.rows[1]["credit"]) == ("100.00", "")
    assert rep.data == json.loads(render(rep, "json"))


def test_detail_ledger_mid_month_start(ledger_books):
    rows = detail_ledger("1002", D("2026-01-11"), D("2026-03-31"), {}).data["rows"]
    assert [(r["kind"], r["debit"], r["credit"], r["balance"]) for r in rows] == [
        ("opening", "0.00", "0.00", "1110.00"),
        ("line", "0.00", "30.00", "1080.00"),
        ("month", "0.00", "30.00", "1080.00"), ("year", "110.00", "30.00", "1080.00"),
        ("line", "200.00", "0.00", "1280.00"),
        ("month", "200.00", "0.00", "1280.00"), ("year", "310.00", "30.00", "1280.00"),
        ("line", "50.00", "0.00", "1330.00"),
        ("month", "50.00", "0.00", "1330.00"), ("year", "360.00", "30.00", "1330.00"),
    ]


def test_detail_ledger_customer_filter(ledger_books):
    rows = detail_ledger("1122", D("2026-01-01"), D("2026-02-28"), {"customer": "C01"}).data["rows"]
    assert [(r["kind"], r["debit"], r["credit"], r["balance"]) for r in rows] == [
        ("opening", "0.00", "0.00", "500.00"),
        ("line", "200.00", "0.00", "700.00"),
        ("line", "0.00", "200.00", "500.00"),
        ("month", "200.00", "200.00", "500.00"), ("year", "200.00", "200.00", "500.00"),
    ]
    rows = detail_ledger("1122", D("2026-02-16"), D("2026-02-28"), {"customer": "C02"}).data["rows"]
    assert [(r["kind"], r["debit"], r["balance"]) for r in rows] == [
        ("opening", "0.00", "0.00"), ("line", "80.00", "80.00"), ("month", "80.00", "80.00"), ("year", "80.00", "80.00")]
    # no filter: both customers
    rows = detail_ledger("1122", D("2026-02-01"), D("2026-02-28"), {}).data["rows"]
    assert rows[-1]["balance"] == "580.00" and rows[-2]["debit"] == "280.00"


def test_build_report_and_formats(ledger_books):
    p = {"start": D("2026-01-01"), "end": D("2026-01-31"), "account": "1002"}
    rep = build_report("detail-ledger", dict(p))
    text = render(rep, "csv")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == ["日期", "凭证号", "科目", "摘要", "借方", "贷方", "方向", "余额"]
    assert table[1] == ["2026-01-01", "", "", "期初余额", "", "", "借", "1000.00"]
    assert table[2] == ["2026-01-05", "记-2026-01-0001", "100201", "收到投资款", "100.00", "", "借", "1100.00"]
    assert table[-1] == ["2026-01-31", "", "", "本年累计", "110.00", "30.00", "借", "1080.00"]

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(render(build_report("general-ledger", dict(p)), "xlsx"))).active
    assert "总账" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["期间", "日期", "摘要", "借方", "贷方", "方向", "余额"]
    assert [c.value for c in ws[4]][2:] == ["本月合计", 110, 30, "借", 1080]
    assert ws["D4"].number_format == "#,##0.00" and ws["D4"].data_type == "n"
    assert ws["D3"].value is None  # opening row: no turnover

    assert render(rep, "pdf")[:4] == b"%PDF"


def test_errors(ledger_books):
    d1, d2 = D("2026-01-01"), D("2026-01-31")
    cases = [
        ("general-ledger", {"account": "9999"}, "unknown_account"),
        ("detail-ledger", {"account": "9999"}, "unknown_account"),
        ("detail-ledger", {"account": "1122", "customer": "NOPE"}, "unknown_party"),
        ("detail-ledger", {"account": "2202", "supplier": "NOPE"}, "unknown_party"),
        ("detail-ledger", {"account": "1405", "item": "NOPE"}, "unknown_item"),
        ("detail-ledger", {"account": "1405", "warehouse": "NOPE"}, "unknown_warehouse"),
        ("detail-ledger", {}, "invalid_value"),
        ("general-ledger", {"account": "1122", "customer": "C01"}, "invalid_value"),
    ]
    for name, extra, code in cases:
        with pytest.raises(DocError) as e:
            build_report(name, {"start": d1, "end": d2, **extra})
        assert e.value.code == code, (name, extra)
    with pytest.raises(DocError) as e:
        build_report("general-ledger", {"start": d2, "end": d1, "account": "1002"})
    assert e.value.code == "invalid_value"
    with pytest.raises(DocError) as e:
        build_report("general-ledger", {"start": None, "end": d1, "account": "1002"})
    assert e.value.code == "invalid_value"


def test_item_and_warehouse_filters(ledger_books, post_json):
    post_json({"type": "journal", "ref": "J8", "date": "2026-01-12", "lines": [
        {"account": "1405", "debit": "70.00", "item": "A001", "warehouse": "WH1"},
        {"account": "1405", "debit": "5.00"},
        {"account": "1002", "credit": "75.00"}]})
    rows = detail_ledger("1405", D("2026-01-01"), D("2026-01-31"), {"item": "A001"}).data["rows"]
    assert [r["debit"] for r in rows if r["kind"] == "line"] == ["70.00"]
    rows = detail_ledger("1405", D("2026-01-01"), D("2026-01-31"), {"warehouse": "WH1", "item": "A001"}).data["rows"]
    assert rows[-1]["balance"] == "70.00"
    rows = detail_ledger("1405", D("2026-01-01"), D("2026-01-31"), {}).data["rows"]
    assert rows[-1]["balance"] == "75.00"


def test_cli_detail_ledger_json(ledger_books, capsys):
    from stockbook.cli import _report

    class A:
        name, as_of, start, end, account = "detail-ledger", None, D("2026-02-01"), D("2026-02-28"), "1122"
        customer, supplier, item, warehouse = "C01", None, None, None
        format, output = "json", None

    assert _report(A()) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["report"] == "detail-ledger" and data["rows"][-1]["balance"] == "500.00"
