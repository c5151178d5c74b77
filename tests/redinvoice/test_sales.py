"""Red sales invoices (红字销售发票): a red line cancels q of a blue sales invoice line — gross (112201), output
tax (222102), the part P of 112202 it took and the rest of its net on 5001 are reversed in red ink; the
delivery line is open again for a sales return or a new invoice. Open amounts, aging, statements and the
reconcile ar row follow. Item A001, WH1, customer C01, tax 13 %."""
from datetime import date

import pytest

from tests.stock.helpers import setup_company

from .helpers import bal, consistent, dlv, rec, rejected, result, sinv, sred, sret, turnover

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["fifo", "moving_average", "monthly_average"])
def test_partial_full_return_reinvoice(post_json, method):
    """R1 01-05 10 kg @ 10.00; D1 01-06 10 kg @ 20.00 (112202 200.00, cost 100.00 unless monthly);
    SI1 01-10 10 kg @ 22.00: net 220.00, tax 28.60, P 200.00, 5001 20.00; RC1 01-12 receives 248.60 for SI1.
    SR1 01-15 reds 4 kg: net round(220 × 4/10) = 88.00, tax 11.44, P 80.00 → red ink Dr 112201 −99.44 /
    Cr 112202 −80.00, Cr 222102 −11.44, Cr 5001 −8.00; SI1 open 248.60 − 248.60 − 99.44 < 0: a credit 99.44.
    SRT1 01-16 returns the 4 kg: P = 200.00 − 120.00 = 80.00 (completes the line), cost 40.00 (fifo, moving).
    SR2 01-20 reds the other 6 kg: net 132.00, tax 17.16 (completing parts), P 120.00; SI2 01-25 invoices them
    again @ 21.00: net 126.00, tax 16.38, P 120.00, 5001 6.00.
    112201 = 248.60 − 248.60 − 99.44 − 149.16 + 142.38 = −106.22 (a credit); 5001 = −126.00; 112202 = 0."""
    setup_company(post_json, method)
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(dlv("D1", "2026-01-06", "10", "20.00"))
    post_json(sinv("SI1", "2026-01-10", "D1", "10", "22.00"))
    post_json({"type": "customer_receipt", "ref": "RC1", "date": "2026-01-12", "customer": "C01", "account": "1002",
               "amount": "248.60", "allocations": [{"invoice": "SI1", "amount": "248.60"}]})
    post_json(sred("SR1", "2026-01-15", "SI1", "4"))
    assert result("SR1") == {"P": 8000}
    assert turnover("112201") == (24860 - 9944, 24860) and turnover("5001") == (0, 22000 - 800)
    assert turnover("112202") == (20000, 20000 - 8000) and turnover("222102") == (0, 2860 - 1144)
    post_json(sret("SRT1", "2026-01-16", "D1", "4"))
    assert result("SRT1")["P"] == 8000
    if method != "monthly_average":
        assert result("SRT1")["cost"] == 4000
    assert rejected(post_json, sinv("SI9", "2026-01-25", "D1", "7", "21.00")) == "invoice_exceeds_delivery"
    post_json(sred("SR2", "2026-01-20", "SI1", "6"))
    from stockbook.posting.models import DocumentLine

    ln = DocumentLine.objects.get(document__ref="SR2")
    assert (ln.amount, ln.tax, ln.result) == (13200, 1716, {"P": 12000})
    post_json(sinv("SI2", "2026-01-25", "D1", "6", "21.00"))
    assert result("SI2") == {"P": 12000}
    assert bal("112201") == -10622 and bal("112202") == 0 and bal("5001") == -12600 and bal("222102") == -1638
    if method == "monthly_average":
        post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    rows = consistent("2026-01-31")
    assert rows["ar"]["subledger"] == "-106.22"
    from stockbook.reports.aging import AR, bucket_sums, open_items
    from stockbook.reports.registry import build_report

    aging = build_report("ar-aging", {"as_of": date(2026, 1, 31)}).data["rows"]
    assert aging == [{"customer": "C01", "total": "-106.22", "0-30": "-106.22", "31-60": "0.00", "61-90": "0.00",
                      "91-180": "0.00", "181+": "0.00"}]
    items = open_items(AR, date(2026, 1, 31))
    assert sum(sum(pa.buckets(date(2026, 1, 31)).values()) for pa in items.values()) == -10622
    assert list(bucket_sums(AR, date(2026, 1, 31)).values()) == [[-10622, 0, 0, 0, 0]]
    st = build_report("statement", {"customer": "C01", "start": date(2026, 1, 1), "end": date(2026, 1, 31)}).data
    assert [(r["ref"], r["debit"], r["credit"], r["balance"]) for r in st["rows"]] == [
        ("SI1", "248.60", "0.00", "248.60"), ("RC1", "0.00", "248.60", "0.00"), ("SR1", "0.00", "99.44", "-99.44"),
        ("SR2", "0.00", "149.16", "-248.60"), ("SI2", "142.38", "0.00", "-106.22")]
    assert st["closing"] == "-106.22" and st["aging"]["total"] == "-106.22"


def test_red_reduces_open_amount_and_allocation(post_json):
    """SI1 10 kg @ 22.00 = 248.60 unpaid; SR1 reds 4 kg (99.44): SI1 open 149.16 — the aging shows 149.16.
    An allocation is limited as in the contract by gross − allocations (248.61: invalid_value), not by red
    invoices (so what is accepted does not depend on whether the red or the payment came first); RC1 200.00
    allocating 149.16 settles SI1, its rest 50.84 is a credit."""
    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(dlv("D1", "2026-01-06", "10", "20.00"))
    post_json(sinv("SI1", "2026-01-10", "D1", "10", "22.00"))
    post_json(sred("SR1", "2026-01-15", "SI1", "4"))
    from stockbook.reports.registry import build_report

    rows = build_report("ar-aging", {"as_of": date(2026, 1, 31)}).data["rows"]
    assert rows[0]["total"] == "149.16"
    rc = {"type": "customer_receipt", "ref": "RC1", "date": "2026-01-20", "customer": "C01", "account": "1002",
          "amount": "300.00", "allocations": [{"invoice": "SI1", "amount": "248.61"}]}
    assert rejected(post_json, rc) == "invalid_value"
    rc["allocations"][0]["amount"] = "149.16"
    rc["amount"] = "200.00"
    post_json(rc)
    rows = build_report("ar-aging", {"as_of": date(2026, 1, 31)}).data["rows"]
    assert rows[0]["total"] == "-50.84"  # the receipt's unallocated rest: a credit
    consistent("2026-01-31")


def test_bad_input(post_json):
    setup_company(post_json, "fifo")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(dlv("D1", "2026-01-06", "5", "20.00"))
    post_json(dlv("D2", "2026-01-06", "5", "20.00", customer="C02"))
    post_json(sinv("SI1", "2026-01-10", "D1", "5", "22.00"))
    post_json(sinv("SI2", "2026-01-10", "D2", "5", "22.00", customer="C02"))
    post_json(sred("SR1", "2026-01-15", "SI1", "2"))
    assert rejected(post_json, sred("X1", "2026-01-15", "NOPE", "1")) == "unknown_reference"
    assert rejected(post_json, sred("X2", "2026-01-15", "SI2", "1")) == "invalid_value"
    assert rejected(post_json, sred("X3", "2026-01-09", "SI1", "1")) == "invalid_value"
    assert rejected(post_json, sred("X4", "2026-01-15", "SI1", "3.0001")) == "red_exceeds_original"
    assert rejected(post_json, sred("X5", "2026-01-15", "SR1", "1")) == "unknown_reference"
    assert rejected(post_json, sred("X6", "2026-01-15", "SI1", "1", customer="C99")) == "unknown_party"
    assert rejected(post_json, sred("X7", "2025-12-15", "SI1", "1")) == "period_closed"
    assert rejected(post_json, {"type": "sales_red_invoice", "ref": "X8", "date": "2026-01-15", "customer": "C01",
                                "lines": [{"invoice": "SI1", "line": "1", "qty": "1"}]}) == "invalid_value"
    # a return dated before the red invoice that opened its qty again
    assert rejected(post_json, sret("X9", "2026-01-12", "D1", "2")) == "return_exceeds_original"
    post_json(sred("SR2", "2026-01-15", "SI1", "3"))  # 2 + 3 = 5: the whole blue line
    consistent()


def test_import_path(db):
    """The same JSON lines through the importer (`stockbook import`, POST /api/documents call the same post())."""
    from stockbook.interchange.importer import import_documents

    from tests.conftest import COMPANY

    lines = [COMPANY, {"type": "warehouse", "code": "WH1", "name": "主仓"},
             {"type": "item", "code": "A001", "name": "铜线", "uom": "kg", "tax_rate": "0.13"},
             {"type": "supplier", "code": "S01", "name": "供应商一"}, {"type": "customer", "code": "C01", "name": "客户一"},
             rec("R1", "2026-01-05", "10", "10.00"), dlv("D1", "2026-01-06", "10", "20.00"),
             sinv("SI1", "2026-01-10", "D1", "10", "22.00"), sred("SR1", "2026-01-15", "SI1", "10"),
             sred("SR2", "2026-01-15", "SI1", "1")]
    res = import_documents(list(enumerate(lines, 1)))
    assert [(e["line"], e["error"]) for e in res.rejected] == [(10, "red_exceeds_original")]
    assert res.posted == 9
    assert import_documents(list(enumerate(lines, 1))).duplicates == 9  # importing again changes nothing
    assert bal("112201") == 0 and bal("112202") == 20000 and bal("5001") == -20000
    consistent()


def test_void_red_invoice_of_a_line_taken_before_a_close(post_json):
    """D1 fully invoiced by SI1 in January, January closed; SR1 (February) reds 4 kg and opens D1's line again;
    voiding SR1 takes them again (the replay from January's snapshot never sees the line): D1's 4 kg cannot be
    returned or invoiced again afterwards."""
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document
    from stockbook.stock.models import OpenLine
    from stockbook.stock.service import CLOSED

    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(dlv("D1", "2026-01-08", "4", "30.00"))
    post_json(sinv("SI1", "2026-01-10", "D1", "4", "30.00"))
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    post_json(sred("SR1", "2026-02-10", "SI1", "4"))
    assert not OpenLine.objects.filter(kind="d").exists()  # nothing taken: as its document line says
    void_document(Document.objects.get(ref="SR1").pk, reason="开错")
    assert [r.data for r in OpenLine.objects.filter(kind="d")] == [CLOSED]
    assert rejected(post_json, sret("RT1", "2026-02-15", "D1", "4")) == "return_exceeds_original"
    assert rejected(post_json, sinv("SI2", "2026-02-15", "D1", "4", "30.00")) == "invoice_exceeds_delivery"
    consistent()
