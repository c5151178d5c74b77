"""ar-aging / ap-aging: open amounts as of a date, explicit allocations, oldest-first settlement of what is
not allocated, buckets by invoice date, credit balances. Sales and purchases of net N have gross N × 1.13."""
from datetime import date, timedelta

import pytest

from stockbook.core.errors import DocError
from stockbook.reports.aging import AR, bucket_items

from .conftest import report

pytestmark = pytest.mark.django_db

ZERO = {"0-30": "0.00", "31-60": "0.00", "61-90": "0.00", "91-180": "0.00", "181+": "0.00"}
NAMES = {"d0_30": "0-30", "d31_60": "31-60", "d61_90": "61-90", "d91_180": "91-180", "d181p": "181+"}


def b(**kw):
    """b(d0_30="1.00", d181p="2.00") → the five buckets."""
    return {**ZERO, **{NAMES[k]: v for k, v in kw.items()}}


def open_refs(side, as_of, code):
    from stockbook.masterdata.models import Customer, Supplier

    party = (Customer if side is AR else Supplier).objects.get(code=code)
    return [(i.ref, str(i.open)) for i in bucket_items(side, as_of, party.pk, None)]


def test_explicit_partial_allocation(arap):
    """SI1 01-10 113.00, SI2 02-10 226.00; RC1 02-15 100.00 allocated to SI2 (partial). As of 03-31: SI1 age 80
    → 61-90 113.00; SI2 age 49 → 31-60 226.00 − 100.00 = 126.00; total 239.00."""
    arap.sale("SI1", "2026-01-10", "100.00")
    arap.sale("SI2", "2026-02-10", "200.00")
    arap.receive("RC1", "2026-02-15", "100.00", alloc=[("SI2", "100.00")])
    got = report("ar-aging", as_of=date(2026, 3, 31))
    assert got == {"report": "ar-aging", "as_of": "2026-03-31",
                   "rows": [{"customer": "C01", "total": "239.00", **b(d31_60="126.00", d61_90="113.00")}]}


def test_unallocated_receipt_settles_oldest_first(arap):
    """RC1 02-20 200.00 without allocations: SI1 (113.00, oldest) settled, 87.00 of SI2 → SI2 open 139.00."""
    arap.sale("SI2", "2026-02-10", "200.00")  # posted first: order is by invoice date, not posting
    arap.sale("SI1", "2026-01-10", "100.00")
    arap.receive("RC1", "2026-02-20", "200.00")
    got = report("ar-aging", as_of=date(2026, 3, 31))["rows"]
    assert got == [{"customer": "C01", "total": "139.00", **b(d31_60="139.00")}]
    assert open_refs(AR, date(2026, 3, 31), "C01") == [("SI2", "13900")]


def test_mixed_allocation_and_remainder(arap):
    """RC1 01-25 300.00 allocates 200.00 to SI3 (the newest); its 100.00 remainder settles SI1 (oldest): SI1
    113.00 → 13.00 open, SI2 226.00 untouched, SI3 339.00 − 200.00 = 139.00."""
    arap.sale("SI1", "2026-01-05", "100.00")
    arap.sale("SI2", "2026-01-06", "200.00")
    arap.sale("SI3", "2026-01-07", "300.00")
    arap.receive("RC1", "2026-01-25", "300.00", alloc=[("SI3", "200.00")])
    assert open_refs(AR, date(2026, 1, 31), "C01") == [("SI1", "1300"), ("SI2", "22600"), ("SI3", "13900")]
    assert report("ar-aging", as_of=date(2026, 1, 31))["rows"] == [
        {"customer": "C01", "total": "378.00", **b(d0_30="378.00")}]


def test_same_date_invoices_settle_by_ref(arap):
    """Two invoices on 01-10: SI-A (ref order) is settled first; SI-B keeps 113.00 + 113.00 − 163.00 = 63.00."""
    arap.sale("SI-B", "2026-01-10", "100.00")
    arap.sale("SI-A", "2026-01-10", "100.00")
    arap.receive("RC1", "2026-01-20", "163.00")
    assert open_refs(AR, date(2026, 1, 31), "C01") == [("SI-B", "6300")]


def test_as_of_before_receipts_and_invoices(arap):
    """SI1 01-10 113.00, SI2 02-10 226.00, RC1 02-20 200.00 (unallocated), RC2 03-05 100.00 allocated to SI2.
    02-09: only SI1, age 30 → 0-30. 02-15: SI1 age 36 → 31-60, SI2 age 5 → 0-30. 02-28: RC1 settles SI1 and
    87.00 of SI2 → 139.00 in 0-30. 03-31: RC2 takes 100.00 more → SI2 39.00 in 31-60 (age 49)."""
    arap.sale("SI1", "2026-01-10", "100.00")
    arap.sale("SI2", "2026-02-10", "200.00")
    arap.receive("RC1", "2026-02-20", "200.00")
    arap.receive("RC2", "2026-03-05", "100.00", alloc=[("SI2", "100.00")])
    rows = lambda d: report("ar-aging", as_of=d)["rows"]  # noqa: E731
    assert rows(date(2026, 1, 9)) == []
    assert rows(date(2026, 2, 9)) == [{"customer": "C01", "total": "113.00", **b(d0_30="113.00")}]
    assert rows(date(2026, 2, 15)) == [{"customer": "C01", "total": "339.00", **b(d0_30="226.00", d31_60="113.00")}]
    assert rows(date(2026, 2, 28)) == [{"customer": "C01", "total": "139.00", **b(d0_30="139.00")}]
    assert rows(date(2026, 3, 31)) == [{"customer": "C01", "total": "39.00", **b(d31_60="39.00")}]


def test_several_customers_sorted_by_code_settled_ones_left_out(arap, post_json):
    """C02 and a customer A9 (posted last, sorted first); C01 paid in full by an allocated receipt → no row."""
    post_json({"type": "customer", "code": "A9", "name": "客户甲"})
    arap.sale("S1", "2026-01-10", "100.00", customer="C01")
    arap.sale("S2", "2026-01-11", "10.00", customer="C02")
    arap.sale("S3", "2026-01-12", "1.00", customer="A9")
    arap.receive("R1", "2026-01-20", "113.00", customer="C01", alloc=[("S1", "113.00")])
    got = report("ar-aging", as_of=date(2026, 1, 31))["rows"]
    assert got == [{"customer": "A9", "total": "1.13", **b(d0_30="1.13")},
                   {"customer": "C02", "total": "11.30", **b(d0_30="11.30")}]
    # one customer only
    assert report("ar-aging", as_of=date(2026, 1, 31), customer="C02")["rows"] == got[1:]


def test_bucket_edges(arap):
    """As of 2026-07-01, invoices aged 30, 31, 60, 61, 90, 91, 180 and 181 days, 113.00 each."""
    as_of = date(2026, 7, 1)
    for age in (30, 31, 60, 61, 90, 91, 180, 181):
        arap.sale(f"SI{age}", (as_of - timedelta(days=age)).isoformat(), "100.00")
    got = report("ar-aging", as_of=as_of)["rows"]
    assert got == [{"customer": "C01", "total": "904.00",
                    **b(d0_30="113.00", d31_60="226.00", d61_90="226.00", d91_180="226.00", d181p="113.00")}]
    # the same invoice on the day it is dated is 0 days old
    assert report("ar-aging", as_of=date(2026, 1, 1))["rows"] == [{"customer": "C01", "total": "113.00", **b(d0_30="113.00")}]


def test_credit_balance_is_negative_by_receipt_age(arap):
    """C02: SI 01-10 113.00, RC 03-01 300.00 unallocated → 187.00 预收 left from RC (dated 03-01): as of 03-31
    (age 30) −187.00 in 0-30; as of 04-15 (age 45) in 31-60. C01: a prepayment with no invoice at all."""
    arap.sale("SI1", "2026-01-10", "100.00", customer="C02")
    arap.receive("RC1", "2026-03-01", "300.00", customer="C02")
    arap.receive("PRE", "2026-03-20", "50.00", customer="C01")
    assert report("ar-aging", as_of=date(2026, 3, 31))["rows"] == [
        {"customer": "C01", "total": "-50.00", **b(d0_30="-50.00")},
        {"customer": "C02", "total": "-187.00", **b(d0_30="-187.00")}]
    assert report("ar-aging", as_of=date(2026, 4, 15), customer="C02")["rows"] == [
        {"customer": "C02", "total": "-187.00", **b(d31_60="-187.00")}]


def test_credit_left_from_the_newest_receipt(arap):
    """RC1 01-05 50.00 and RC2 03-01 100.00 (both unallocated) against SI1 01-10 113.00: RC1 is used first,
    then 63.00 of RC2; the 37.00 left is RC2's (03-01) → as of 04-15 (age 45) in 31-60."""
    arap.receive("RC1", "2026-01-05", "50.00")
    arap.sale("SI1", "2026-01-10", "100.00")
    arap.receive("RC2", "2026-03-01", "100.00")
    assert report("ar-aging", as_of=date(2026, 4, 15))["rows"] == [
        {"customer": "C01", "total": "-37.00", **b(d31_60="-37.00")}]


def test_ap_mirror(arap):
    """Suppliers: PI1 01-10 113.00, PI2 02-10 226.00 (S01), PI3 02-11 11.30 (S02); PAY1 02-20 150.00 unallocated
    (S01) settles PI1 and 37.00 of PI2 → 189.00; PAY2 allocates 11.30 to PI3 → S02 omitted."""
    arap.purchase("PI1", "2026-01-10", "100.00")
    arap.purchase("PI2", "2026-02-10", "200.00")
    arap.purchase("PI3", "2026-02-11", "10.00", supplier="S02")
    arap.pay("PAY1", "2026-02-20", "150.00")
    arap.pay("PAY2", "2026-02-21", "11.30", supplier="S02", alloc=[("PI3", "11.30")])
    got = report("ap-aging", as_of=date(2026, 3, 31))
    assert got == {"report": "ap-aging", "as_of": "2026-03-31",
                   "rows": [{"supplier": "S01", "total": "189.00", **b(d31_60="189.00")}]}
    assert report("ap-aging", as_of=date(2026, 2, 15))["rows"] == [
        {"supplier": "S01", "total": "339.00", **b(d0_30="226.00", d31_60="113.00")},
        {"supplier": "S02", "total": "11.30", **b(d0_30="11.30")}]
    # receivables are not payables
    assert report("ar-aging", as_of=date(2026, 3, 31))["rows"] == []


def test_total_equals_subledger_of_reconcile(arap):
    """Σ aging totals = open invoices − unallocated receipts = the contract's ar/ap subledger (no open deliveries
    here: every delivery and receipt is invoiced in full)."""
    arap.sale("SI1", "2026-01-10", "100.00")
    arap.sale("SI2", "2026-01-11", "57.77", customer="C02")
    arap.receive("RC1", "2026-01-20", "40.00", alloc=[("SI1", "30.00")])
    arap.purchase("PI1", "2026-01-10", "88.88")
    arap.pay("PY1", "2026-01-20", "20.00")
    from decimal import Decimal

    ar = sum(Decimal(r["total"]) for r in report("ar-aging", as_of=date(2026, 1, 31))["rows"])
    ap = sum(Decimal(r["total"]) for r in report("ap-aging", as_of=date(2026, 1, 31))["rows"])
    assert ar == Decimal("113.00") + Decimal("65.28") - Decimal("40.00")
    assert ap == Decimal("100.43") - Decimal("20.00")
    sub = {r["ledger"]: Decimal(r["subledger"]) for r in report("reconcile", as_of=date(2026, 1, 31))["rows"]}
    assert (sub["ar"], sub["ap"]) == (ar, ap)


def test_over_allocation_rejected_and_nothing_written(arap):
    """A receipt allocating more than an invoice's open amount: invalid_value, no document, aging unchanged."""
    from stockbook.posting.models import Document

    arap.sale("SI1", "2026-01-10", "100.00")
    arap.receive("RC1", "2026-01-15", "100.00", alloc=[("SI1", "100.00")])
    before = (Document.objects.count(), report("ar-aging", as_of=date(2026, 1, 31)))
    with pytest.raises(DocError) as e:
        arap.receive("RC2", "2026-01-20", "50.00", alloc=[("SI1", "13.01")])
    assert e.value.code == "invalid_value"
    assert (Document.objects.count(), report("ar-aging", as_of=date(2026, 1, 31))) == before
    assert before[1]["rows"] == [{"customer": "C01", "total": "13.00", **b(d0_30="13.00")}]


def test_voided_receipt_no_longer_settles(arap):
    """A receipt voided (红字冲销, status void) no longer counts."""
    from stockbook.posting.models import Document

    arap.sale("SI1", "2026-01-10", "100.00")
    arap.receive("RC1", "2026-01-15", "100.00", alloc=[("SI1", "100.00")])
    Document.objects.filter(type="customer_receipt", ref="RC1").update(status=Document.VOID)
    assert report("ar-aging", as_of=date(2026, 1, 31))["rows"] == [
        {"customer": "C01", "total": "113.00", **b(d0_30="113.00")}]


@pytest.mark.parametrize("p, code", [
    ({}, "invalid_value"),  # no as-of
    ({"as_of": date(2026, 1, 31), "customer": "NOPE"}, "unknown_party"),
    ({"as_of": date(2026, 1, 31), "supplier": "S01"}, "invalid_value"),
    ({"as_of": date(2026, 1, 31), "region": "XX"}, "invalid_value"),
])
def test_bad_parameters(arap, p, code):
    with pytest.raises(DocError) as e:
        report("ar-aging", **p)
    assert e.value.code == code and e.value.message


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bucket_sums_agree_with_invoice_by_invoice(arap, seed):
    """The report sums per (party, bucket) in SQL and settles per bucket; the drill-down settles invoice by
    invoice. Random books (sales, partial allocations, unallocated receipts and prepayments over 3 customers
    and 8 months): both give the same figures at every month end and at dates in between."""
    import random

    from stockbook.masterdata.models import Customer
    from stockbook.reports.aging import bucket_sums, open_items

    rnd = random.Random(seed)
    custs = ["C01", "C02"]
    arap.post({"type": "customer", "code": "C03", "name": "客户三"})
    custs.append("C03")
    opened = {c: [] for c in custs}  # (ref, gross in 分) of posted invoices
    n = 0
    for day in sorted(date(2026, 1, 1) + timedelta(days=rnd.randrange(240)) for _ in range(36)):
        n += 1
        c = rnd.choice(custs)
        if rnd.random() < 0.6:
            net = rnd.randint(100, 50000)
            arap.sale(f"S{n}", day.isoformat(), f"{net // 100}.{net % 100:02d}", customer=c)
            opened[c].append(f"S{n}")
        else:
            alloc = []
            if opened[c] and rnd.random() < 0.5:
                ref = rnd.choice(opened[c])
                from stockbook.posting.handlers.business import open_amount
                from stockbook.posting.models import Document

                left = open_amount(Document.objects.get(type="sales_invoice", ref=ref))
                if left > 0:
                    part = rnd.randint(1, left)
                    alloc = [(ref, f"{part // 100}.{part % 100:02d}")]
            amt = rnd.randint(100, 60000) + sum(int(a.replace(".", "")) for _, a in alloc)
            arap.receive(f"R{n}", day.isoformat(), f"{amt // 100}.{amt % 100:02d}", customer=c, alloc=alloc)
    ids = dict(Customer.objects.values_list("pk", "code"))
    checked = 0
    for as_of in [date(2026, m, 1) - timedelta(days=1) for m in range(2, 10)] + [date(2026, 3, 17), date(2026, 6, 2)]:
        by_invoice = {ids[pid]: list(pa.buckets(as_of).values()) for pid, pa in open_items(AR, as_of).items()}
        by_bucket = {ids[pid]: v for pid, v in bucket_sums(AR, as_of).items()}
        assert by_bucket == by_invoice, as_of
        checked += len(by_bucket)
    assert checked > 5
