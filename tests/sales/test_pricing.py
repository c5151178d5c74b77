"""Discounts and promotions: line %, order amount off spread to the 分, tiered/customer price rules, gifts."""
from datetime import date
from decimal import Decimal

import pytest

from stockbook.core.errors import DocError
from stockbook.sales import delivery, service
from stockbook.sales.models import PriceRule

from .conftest import so


def test_spread_exact():
    assert service.spread(100, [1000, 1000, 1000]) == [33, 33, 34]
    assert service.spread(1000, [3333, 3333, 3334]) == [333, 333, 334]
    assert service.spread(7, [0, 500, 0, 500]) == [0, 4, 0, 3]  # the last line with an amount takes the rest
    assert sum(service.spread(12345, [999, 1, 77777, 3])) == 12345
    with pytest.raises(DocError):
        service.spread(101, [50, 50])


def test_line_discount_and_order_discount(shop):
    """A001 3 kg × 33.33 × (1 − 10 %) = 89.991 → 89.99; B002 7 × 9.99 = 69.93; 10.00 off spread over
    159.92: 10 × 89.99 / 159.92 = 5.627… → 5.63, B002 takes 4.37. Nets 84.36 and 65.56 = 149.92."""
    o = service.create_order(so([{"item": "A001", "qty": "3", "list_price": "33.33", "discount_pct": "10"},
                                  {"item": "B002", "qty": "7", "list_price": "9.99"}], order_discount="10.00"))
    rows = [(x.amount, x.discount_share, x.net_amount) for x in o.lines.all()]
    assert rows == [(8999, 563, 8436), (6993, 437, 6556)]
    assert o.net_total == 14992 and o.order_discount == 1000
    service.confirm(o)
    # deliver A001 in three parts: 1 + 1 + 1 → 28.12 + 28.12 + rest 28.12 = 84.36 exactly
    from stockbook.posting.models import DocumentLine

    for i, day in enumerate((11, 12, 13)):
        delivery.deliver(o, {1: "1"}, on=date(2026, 1, day), ref=f"D{i}")
    amts = list(DocumentLine.objects.filter(document__ref__in=["D0", "D1", "D2"]).order_by("document__ref")
                .values_list("amount", flat=True))
    assert sum(amts) == 8436 and amts == [2812, 2812, 2812]


def test_price_rules_tiered_and_customer(shop):
    """A001: 20.00 from 0, 18.00 from 10 kg, 17.50 from 50 kg but only until 2026-01-31; C01's own 19.00 from 0."""
    from stockbook.masterdata.models import Customer, Item

    a = Item.objects.get(code="A001")
    c01 = Customer.objects.get(code="C01")
    PriceRule.objects.create(item=a, min_qty=0, unit_price=Decimal("20"))
    PriceRule.objects.create(item=a, min_qty=100000, unit_price=Decimal("18"))
    PriceRule.objects.create(item=a, min_qty=500000, unit_price=Decimal("17.5"), valid_to=date(2026, 1, 31))
    PriceRule.objects.create(item=a, customer=c01, min_qty=0, unit_price=Decimal("19"))
    C02 = Customer.objects.get(code="C02")
    assert service.best_price(a, C02, 50000, date(2026, 1, 10)) == Decimal("20")
    assert service.best_price(a, c01, 50000, date(2026, 1, 10)) == Decimal("19")
    assert service.best_price(a, C02, 100000, date(2026, 1, 10)) == Decimal("18")
    assert service.best_price(a, C02, 600000, date(2026, 1, 10)) == Decimal("17.5")
    assert service.best_price(a, C02, 600000, date(2026, 2, 1)) == Decimal("18")
    assert service.best_prices([a], C02, {a.pk: 600000}, date(2026, 1, 10)) == {a.pk: Decimal("17.5")}
    o = service.create_order(so([{"item": "A001", "qty": "12"}], customer="C02"))
    ln = o.lines.get()
    assert ln.list_price == Decimal("18") and ln.net_amount == 21600


def test_gift_line_books_cost_without_revenue(shop):
    """B002 2 pcs at 10.00 plus 1 A001 kg as a gift (赠品, price 0). Delivery voucher: cost of both
    (A001 10.00/kg, B002 20.00/pc): Dr 5401 50.00 / Cr 1405 50.00; revenue only from B002: Dr 112202 20.00 / Cr 5001 20.00."""
    from tests.sales.test_end_to_end import vlines

    o = service.create_order(so([{"item": "B002", "qty": "2", "list_price": "10"},
                                  {"item": "A001", "qty": "1", "gift": True}]))
    g = o.lines.get(line_no=2)
    assert g.gift and g.net_amount == 0 and o.net_total == 2000
    service.confirm(o)
    res = delivery.deliver(o, on=date(2026, 1, 11), ref="DG")
    assert res.posted
    assert vlines("DG") == [("112202", 2000, 0), ("1405", 0, 5000), ("5001", 0, 2000), ("5401", 5000, 0)]
    # the invoice leaves the gift out
    assert [r["order_line"] for r in delivery.uninvoiced(o)] == [1]
