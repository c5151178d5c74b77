"""The benchmarks' bulk writer (bench/stockgen.py) stores exactly the rows posting the same documents
through post() stores: stock moves, item states, document lines with their results, vouchers and their
lines, period balances, voucher numbers — and so the same trial balance, stock balance and reconcile."""
from datetime import date

import pytest
from django.db import connection

from bench.stockgen import BulkWriter, Stream, master_docs, post_master
from stockbook.ledger.models import PartyBalance, PeriodBalance, Voucher, VoucherLine, VoucherSequence
from stockbook.posting.books import Books
from stockbook.posting.models import Document, DocumentLine
from stockbook.posting.service import post
from stockbook.reports.reconcile import reconcile
from stockbook.reports.stock_balance import stock_balance
from stockbook.reports.trial_balance import trial_balance
from stockbook.stock.models import ItemState, OpenLine, StockMove, StockPeriod
from stockbook.stock.revalue import recompute

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the bulk writer is SQLite only")

AS_OF = [date(2024, 1, 31), date(2024, 6, 15), date(2025, 12, 31)]


def _snapshot() -> dict:
    skip = {"created_at", "id"}

    def rows(qs, *order):
        return [{k: v for k, v in r.items() if k not in skip} for r in qs.order_by(*order).values()]

    return {
        "documents": rows(Document.objects.all(), "id") and [
            {k: v for k, v in r.items() if k not in {"created_at"}} for r in Document.objects.order_by("id").values()],
        "lines": rows(DocumentLine.objects.all(), "document_id", "line_no"),
        "moves": rows(StockMove.objects.all(), "document_id", "line", "sub"),
        "states": {s.item_id: (s.method, s.state) for s in ItemState.objects.all()},
        "vouchers": [{k: v for k, v in r.items() if k not in skip} for r in Voucher.objects.order_by("id").values()],
        "voucher_lines": [{**{k: v for k, v in r.items() if k not in skip | {"voucher_id"}}, "voucher": (r["voucher__period"], r["voucher__number"])}
                          for r in VoucherLine.objects.order_by("voucher_id", "line_no").values(
                              *[f.attname for f in VoucherLine._meta.concrete_fields], "voucher__period", "voucher__number")],
        "period_balances": rows(PeriodBalance.objects.all(), "account_id", "period"),
        "party_balances": rows(PartyBalance.objects.all(), "account_id", "party_kind", "party_id"),
        "stock_periods": rows(StockPeriod.objects.all(), "item_id", "warehouse_id", "period"),
        "open_lines": rows(OpenLine.objects.all(), "item_id", "kind", "line_key"),
        "sequences": rows(VoucherSequence.objects.all(), "word", "period"),
        "trial_balance": [trial_balance(date(2024, 1, 1), date(2024, 1, 31)).data, trial_balance(date(2024, 2, 1), date(2025, 12, 31)).data,
                          trial_balance(date(2024, 3, 5), date(2024, 11, 20)).data],
        "stock_balance": [stock_balance(d).data for d in AS_OF],
        "reconcile": [reconcile(d).data for d in AS_OF],
    }


def _wipe_business_rows():
    """Back to master data only, as before the documents were posted."""
    VoucherLine.objects.all().delete()
    Voucher.objects.all().delete()
    PeriodBalance.objects.all().delete()
    PartyBalance.objects.all().delete()
    StockPeriod.objects.all().delete()
    OpenLine.objects.all().delete()
    VoucherSequence.objects.all().delete()
    StockMove.objects.all().delete()
    DocumentLine.objects.all().delete()
    Document.objects.filter(type__in=["purchase_receipt", "sales_delivery"]).delete()
    ItemState.objects.update(state={})
    with connection.cursor() as cur:  # post() would number the next document after the master data again
        cur.execute("UPDATE sqlite_sequence SET seq = (SELECT MAX(id) FROM posting_document) WHERE name = 'posting_document'")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("hot", [False, True])
def test_bulk_writer_equals_post(hot):
    items, whs, n = 24, 2, 160
    post_master(master_docs(items, whs, hot=hot))
    docs = list(Stream(items, whs, hot=hot, seed=5).history(n))
    assert {d["type"] for d in docs} == {"purchase_receipt", "sales_delivery"}
    books = Books()
    for d in docs:
        assert post(d, books=books).posted
    posted = _snapshot()
    assert len(posted["moves"]) == n * 10 and posted["vouchers"]
    assert recompute() == []

    _wipe_business_rows()
    with BulkWriter(drop_indexes=hot) as w:  # one case with, one without dropping and rebuilding indexes
        for d in docs:
            w.add(d)
    bulk = _snapshot()
    for key in posted:
        assert bulk[key] == posted[key], key
    assert recompute() == []


@pytest.mark.django_db(transaction=True)
def test_bulk_then_post_continues():
    """post() after a bulk load: numbering, balances and costing carry on from the bulk rows."""
    post_master(master_docs(12, 1))
    stream = Stream(12, 1, seed=9)
    docs = list(stream.history(60))
    with BulkWriter() as w:
        for d in docs[:40]:
            w.add(d)
    books = Books()
    for d in docs[40:]:
        assert post(d, books=books).posted
    assert recompute() == []
    numbers = sorted(Voucher.objects.filter(period=202401).values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
