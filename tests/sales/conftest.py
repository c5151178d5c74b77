"""A small company for the sales tests: ACME with WH1/WH2, A001 (kg, t = 1000 kg, 13 %), B002 (pcs, 13 %),
C01 (credit limit 100,000.00), C02 (none). Opening stock on 2025-12-31 in WH1: A001 100 kg at 10.00,
B002 50 pcs at 20.00."""
import pytest

from tests.stock.helpers import setup_company


@pytest.fixture
def shop(post_json):
    setup_company(post_json)
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "100", "amount": "1000.00"},
                         {"item": "B002", "qty": "50", "amount": "1000.00"}]})
    return post_json


def so(lines, customer="C01", warehouse="WH1", date="2026-01-10", **kw):
    return dict(customer=customer, warehouse=warehouse, date=date, lines=lines, **kw)


def counts():
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document
    from stockbook.sales.models import DeliveryLink, Reservation, SalesOrder
    from stockbook.stock.models import StockMove

    return (Document.objects.count(), StockMove.objects.count(), Voucher.objects.count(), Reservation.objects.filter(qty_base__gt=0).count(),
            DeliveryLink.objects.count(), SalesOrder.objects.exclude(status="draft").count())
