"""对账单: opening, lines with running balance, closing, aging summary; json, xlsx and PDF (read back)."""
import io
import shutil
import subprocess
from datetime import date

import pytest

from stockbook.core.errors import DocError
from stockbook.reports.base import render
from stockbook.reports.registry import build_report

from .conftest import report

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")


@pytest.fixture
def c01(arap):
    """C01: SI1 01-10 113.00, RC1 01-20 50.00 (unallocated) → opening on 02-01: 63.00.
    In Feb–Mar: SI2 02-10 226.00 → 289.00; RC2 02-20 100.00 allocated to SI2 → 189.00; RC3 03-10 150.00
    (unallocated) → 39.00 = closing. A C02 invoice in the range does not appear.
    Aging as of 03-31: RC1 + RC3 settle SI1 (113.00) and 87.00 of SI2 → SI2 open 39.00, age 49 → 31-60."""
    arap.sale("SI1", "2026-01-10", "100.00")
    arap.receive("RC1", "2026-01-20", "50.00")
    arap.sale("SI2", "2026-02-10", "200.00")
    arap.receive("RC2", "2026-02-20", "100.00", alloc=[("SI2", "100.00")])
    arap.sale("SX", "2026-03-01", "7.00", customer="C02")
    arap.receive("RC3", "2026-03-10", "150.00")
    return arap


def test_customer_statement_figures(c01):
    got = report("statement", customer="C01", start=date(2026, 2, 1), end=date(2026, 3, 31))
    assert got["opening"] == "63.00" and got["closing"] == "39.00"
    assert got["debit"] == "226.00" and got["credit"] == "250.00"
    assert [(r["date"], r["ref"], r["debit"], r["credit"], r["balance"]) for r in got["rows"]] == [
        ("2026-02-10", "SI2", "226.00", "0.00", "289.00"),
        ("2026-02-20", "RC2", "0.00", "100.00", "189.00"),
        ("2026-03-10", "RC3", "0.00", "150.00", "39.00"),
    ]
    assert got["rows"][1]["summary"] == "核销 SI2 100.00"
    assert got["rows"][2]["summary"] == "未指定发票 150.00"
    assert got["aging"] == {"as_of": "2026-03-31", "total": "39.00", "0-30": "0.00", "31-60": "39.00", "61-90": "0.00",
                            "91-180": "0.00", "181+": "0.00"}
    assert (got["report"], got["party_type"], got["party"], got["from"], got["to"]) == (
        "statement", "customer", "C01", "2026-02-01", "2026-03-31")
    # the closing balance is the party's aging total, and the opening is the closing of the day before
    before = report("statement", customer="C01", start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert (before["opening"], before["closing"]) == ("0.00", "63.00")


def test_supplier_statement(arap):
    """S01: PI1 01-10 113.00 (credit, 应付增加), PAY1 01-15 13.00 allocated (debit) → closing 100.00."""
    arap.purchase("PI1", "2026-01-10", "100.00")
    arap.pay("PAY1", "2026-01-15", "13.00", alloc=[("PI1", "13.00")])
    got = report("statement", supplier="S01", start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert [(r["ref"], r["debit"], r["credit"], r["balance"]) for r in got["rows"]] == [
        ("PI1", "0.00", "113.00", "113.00"), ("PAY1", "13.00", "0.00", "100.00")]
    assert (got["opening"], got["closing"], got["aging"]["total"], got["aging"]["0-30"]) == ("0.00", "100.00", "100.00", "100.00")


def test_xlsx_shows_the_figures(c01):
    from openpyxl import load_workbook

    rep = build_report("statement", {"customer": "C01", "start": date(2026, 2, 1), "end": date(2026, 3, 31)})
    ws = load_workbook(io.BytesIO(render(rep, "xlsx"))).active
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    text = "\n".join(" ".join("" if c is None else str(c) for c in row) for row in cells)
    assert "客户对账单" in text and "C01 客户一" in text
    assert "期初余额" in text and "期末余额" in text and "SI2" in text and "RC3" in text
    nums = [c for row in cells for c in row if not isinstance(c, (str, type(None), date)) and hasattr(c, "as_integer_ratio")]
    from decimal import Decimal

    assert {Decimal("63.00"), Decimal("289.00"), Decimal("189.00"), Decimal("39.00"), Decimal("226.00"), Decimal("250.00")} <= {Decimal(str(n)) for n in nums}


@needs_poppler
def test_pdf_shows_the_figures(c01):
    rep = build_report("statement", {"customer": "C01", "start": date(2026, 2, 1), "end": date(2026, 3, 31)})
    pdf = render(rep, "pdf")
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    for s in ("客户对账单", "期初余额", "期末余额", "SI2", "RC3", "63.00", "289.00", "189.00", "39.00", "31-60天"):
        assert s in text, s


@pytest.mark.parametrize("p, code", [
    ({"customer": "C01"}, "invalid_value"),  # no range
    ({"customer": "C01", "start": date(2026, 3, 1), "end": date(2026, 2, 1)}, "invalid_value"),
    ({"start": date(2026, 1, 1), "end": date(2026, 1, 31)}, "invalid_value"),  # no party
    ({"customer": "C01", "supplier": "S01", "start": date(2026, 1, 1), "end": date(2026, 1, 31)}, "invalid_value"),
    ({"customer": "NOPE", "start": date(2026, 1, 1), "end": date(2026, 1, 31)}, "unknown_party"),
    ({"supplier": "C01", "start": date(2026, 1, 1), "end": date(2026, 1, 31)}, "unknown_party"),
])
def test_bad_parameters(arap, p, code):
    with pytest.raises(DocError) as e:
        build_report("statement", p)
    assert e.value.code == code and e.value.message
