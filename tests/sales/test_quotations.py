from datetime import date

import pytest

from stockbook.core.errors import DocError
from stockbook.sales import service
from stockbook.sales.models import Quotation, SalesOrder


def _q(**kw):
    data = {"customer": "C01", "warehouse": "WH1", "date": "2026-01-05", "valid_until": "2026-01-20",
            "lines": [{"item": "A001", "qty": "5", "list_price": "12.5", "discount_pct": "4"}]}
    data.update(kw)
    return service.create_quotation(data)


def test_quotation_flow_and_convert(shop):
    q = _q()
    assert q.no.startswith("XSBJ-202601-") and q.status == Quotation.DRAFT
    service.send_quotation(q)
    o = service.convert_quotation(q, on=date(2026, 1, 10))
    q.refresh_from_db()
    assert q.status == Quotation.CONVERTED and o.quotation_id == q.pk and o.status == SalesOrder.DRAFT
    ln = o.lines.get()
    assert (ln.qty_base, ln.net_amount) == (50000, 6000)  # 5 × 12.50 × 96 %
    with pytest.raises(DocError) as e:
        service.convert_quotation(q, on=date(2026, 1, 10))
    assert e.value.code == "invalid_status"
    with pytest.raises(DocError) as e:
        service.send_quotation(q)
    assert e.value.code == "invalid_status"


def test_expired_quotation_cannot_convert(shop):
    q = _q()
    before = SalesOrder.objects.count()
    with pytest.raises(DocError) as e:
        service.convert_quotation(q, on=date(2026, 1, 21))
    assert e.value.code == "invalid_status"
    service.expire_quotation(q)
    with pytest.raises(DocError) as e:
        service.convert_quotation(q, on=date(2026, 1, 10))
    assert e.value.code == "invalid_status"
    assert SalesOrder.objects.count() == before


def test_bad_quotation(shop):
    for kw, code in [({"valid_until": "2026-01-01"}, "invalid_value"), ({"valid_until": "x"}, "invalid_value"),
                     ({"customer": "ZZ"}, "unknown_party"), ({"lines": []}, "invalid_value")]:
        with pytest.raises(DocError) as e:
            _q(**kw)
        assert e.value.code == code
    assert Quotation.objects.count() == 0


def test_credit_without_override_writes_nothing(shop):
    """C01 limit 100,000.00: an order of 100 kg × 1,000.00 = 100,000.00 + 13 % is over it."""
    from .conftest import counts, so

    o = service.create_order(so([{"item": "A001", "qty": "100", "list_price": "1000"}]))
    before = counts()
    with pytest.raises(DocError) as e:
        service.confirm(o)
    assert e.value.code == "credit_limit_exceeded"
    assert counts() == before
    # open orders count: a first order within the limit, then a second that is not
    o1 = service.create_order(so([{"item": "A001", "qty": "50", "list_price": "1000"}]))
    service.confirm(o1)  # 56,500.00
    o2 = service.create_order(so([{"item": "A001", "qty": "40", "list_price": "1000"}]))  # + 45,200.00 > 100,000.00
    with pytest.raises(DocError) as e:
        service.confirm(o2)
    assert e.value.code == "credit_limit_exceeded"
    # an override request only when over the limit
    o3 = service.create_order(so([{"item": "A001", "qty": "1", "list_price": "1"}]))
    from tests.roles import role_user

    with pytest.raises(DocError) as e:
        service.request_override(o3, role_user("s", "销售"))
    assert e.value.code == "invalid_value"


def test_overdue_quotations_expire(shop):
    q = _q()
    assert service.expire_overdue(date(2026, 1, 20)) == 0
    assert service.expire_overdue(date(2026, 1, 21)) == 1
    q.refresh_from_db()
    assert q.status == Quotation.EXPIRED
