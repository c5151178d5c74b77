"""PostgreSQL: concurrent documents must respect quantity limits and open amounts over all accepted
documents (the referenced document is locked while a document checks its limits)."""
import threading

import pytest
from django.db import connection, connections

from stockbook.core.errors import DocError
from stockbook.posting.models import DocumentLine
from stockbook.posting.service import post
from tests.conftest import COMPANY

pytestmark = pytest.mark.django_db(transaction=True)


def race(docs):
    barrier = threading.Barrier(len(docs))
    outcome = []

    def run(doc):
        try:
            barrier.wait(timeout=10)
            post(doc)
            outcome.append("ok")
        except DocError as e:
            outcome.append(e.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a request hung"
    return outcome


def setup():
    post(dict(COMPANY))
    post({"type": "warehouse", "code": "WH1", "name": "主仓"})
    post({"type": "item", "code": "A", "name": "甲", "uom": "个", "tax_rate": "0.13"})
    post({"type": "supplier", "code": "S", "name": "乙"})
    post({"type": "customer", "code": "C", "name": "丙"})
    post({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-05", "supplier": "S", "warehouse": "WH1",
          "lines": [{"item": "A", "qty": "10", "unit_price": "10"}]})


def test_concurrent_invoices_never_exceed_the_receipt():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite writers are serial")
    setup()
    docs = [{"type": "purchase_invoice", "ref": f"F{i}", "date": "2026-01-06", "supplier": "S",
             "lines": [{"receipt": "R1", "line": 1, "qty": "4", "unit_price": "10"}]} for i in range(6)]
    outcome = race(docs)
    assert outcome.count("ok") == 2 and outcome.count("invoice_exceeds_receipt") == 4
    invoiced = sum(DocumentLine.objects.filter(document__type="purchase_invoice").values_list("qty_base", flat=True))
    assert invoiced == 8 * 10000


def test_concurrent_allocations_never_exceed_the_open_amount():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite writers are serial")
    setup()
    post({"type": "sales_delivery", "ref": "D1", "date": "2026-01-06", "customer": "C", "warehouse": "WH1",
          "lines": [{"item": "A", "qty": "10", "unit_price": "10"}]})
    post({"type": "sales_invoice", "ref": "I1", "date": "2026-01-07", "customer": "C",
          "lines": [{"delivery": "D1", "line": 1, "qty": "10", "unit_price": "10"}]})  # gross 113.00
    docs = [{"type": "customer_receipt", "ref": f"SK{i}", "date": "2026-01-08", "customer": "C", "account": "1002",
             "amount": "60.00", "allocations": [{"invoice": "I1", "amount": "60.00"}]} for i in range(5)]
    outcome = race(docs)
    assert outcome.count("ok") == 1 and outcome.count("invalid_value") == 4
