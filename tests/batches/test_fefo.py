from datetime import date

import pytest

from stockbook.core.errors import DocError
from tests.batches.conftest import balances, dlv, moves_of, rcv, written
from tests.stock.helpers import err


@pytest.fixture
def stocked(bco):
    bco(rcv("R1", "2026-01-05", "WH1", [("A001", "10", "5.00", "L-LATE", "2026-12-31")]))
    bco(rcv("R2", "2026-01-06", "WH1", [("A001", "10", "5.00", "L-EARLY", "2026-03-31")]))
    bco(rcv("R3", "2026-01-07", "WH1", [("A001", "5", "5.00", "L-OLD", "2026-01-10")]))
    return bco


def test_fefo_pick_order_and_skips_expired(stocked):
    from stockbook.batches.service import fefo_pick, is_batch_managed
    from stockbook.masterdata.models import Item, Warehouse

    a, wh = Item.objects.get(code="A001"), Warehouse.objects.get(code="WH1")
    assert is_batch_managed(a) and not is_batch_managed(Item.objects.get(code="B002"))
    assert fefo_pick(a, wh, 120000, date(2026, 1, 9)) == [("L-OLD", 50000), ("L-EARLY", 70000)]
    # on 2026-01-11 L-OLD is expired (usable through its expiry date)
    assert fefo_pick(a, wh, 120000, date(2026, 1, 11)) == [("L-EARLY", 100000), ("L-LATE", 20000)]
    with pytest.raises(DocError) as e:
        fefo_pick(a, wh, 210000, date(2026, 1, 11))
    assert e.value.code == "batch_insufficient"


def test_delivery_without_batch_splits_fefo(stocked):
    stocked(dlv("D1", "2026-01-20", "WH1", [("A001", "12", "9.00", None)]))
    assert moves_of("sales_delivery", "D1") == [(1, "L-EARLY", -10), (1, "L-LATE", -2)]
    assert balances() == {("WH1", "L-LATE"): 8, ("WH1", "L-OLD"): 5}


def test_delivery_of_expired_batch_refused_scrap_allowed(stocked):
    assert err(stocked, dlv("D1", "2026-01-20", "WH1", [("A001", "1", "9.00", "L-OLD")])) == "batch_expired"
    assert not written("sales_delivery", "D1")
    assert err(stocked, dlv("D2", "2026-01-20", "WH1", [("A001", "1", "9.00", "NOPE")])) == "unknown_batch"
    assert err(stocked, dlv("D3", "2026-01-20", "WH1", [("A001", "11", "9.00", "L-EARLY")])) == "batch_insufficient"
    # 21 non-expired units exist only as 20: FEFO cannot cover without the expired batch
    assert err(stocked, dlv("D4", "2026-01-20", "WH1", [("A001", "21", "9.00", None)])) == "batch_insufficient"
    from stockbook.stock.models import StockMove

    assert not StockMove.objects.filter(document__ref__in=["D1", "D2", "D3", "D4"]).exists()
    stocked({"type": "scrap", "ref": "SC1", "date": "2026-01-20", "warehouse": "WH1",
             "lines": [{"item": "A001", "qty": "5", "batch": "L-OLD"}]})
    assert balances()[("WH1", "L-EARLY")] == 10 and ("WH1", "L-OLD") not in balances()


def test_receipt_rules(bco):
    assert err(bco, rcv("R1", "2026-01-05", "WH1", [("A001", "1", "5.00", None, None)])) == "invalid_value"
    assert not written("purchase_receipt", "R1")
    bco(rcv("R2", "2026-01-05", "WH1", [("A001", "1", "5.00", "P1", None, {"production_date": "2026-01-01"})]))
    from stockbook.batches.models import Batch, BatchMove

    assert Batch.objects.get(code="P1").expiry == date(2026, 6, 30)  # + 180 days
    assert err(bco, rcv("R3", "2026-01-06", "WH1", [("A001", "1", "5.00", "P1", "2027-01-01")])) == "invalid_value"
    assert err(bco, rcv("R4", "2026-01-06", "WH1", [("A001", "1", "5.00", "P9", "2027-13-01")])) == "invalid_value"
    assert not Batch.objects.filter(code="P9").exists()
    assert BatchMove.objects.count() == 1


def test_transfer_and_returns(stocked):
    stocked({"type": "transfer", "ref": "T1", "date": "2026-01-08", "from": "WH1", "to": "WH2",
             "lines": [{"item": "A001", "qty": "6"}]})
    assert moves_of("transfer", "T1") == [(1, "L-OLD", -5), (1, "L-EARLY", -1), (1, "L-OLD", 5), (1, "L-EARLY", 1)]
    assert err(stocked, {"type": "transfer", "ref": "T2", "date": "2026-01-20", "from": "WH2", "to": "WH1",
                         "lines": [{"item": "A001", "qty": "1", "batch": "L-OLD"}]}) == "batch_expired"
    stocked({"type": "purchase_return", "ref": "PR1", "date": "2026-01-21", "receipt": "R1", "lines": [{"line": 1, "qty": "3"}]})
    assert moves_of("purchase_return", "PR1") == [(1, "L-LATE", -3)]
    stocked(dlv("D1", "2026-01-22", "WH1", [("A001", "15", "9.00", None)]))
    assert moves_of("sales_delivery", "D1") == [(1, "L-EARLY", -9), (1, "L-LATE", -6)]
    stocked({"type": "sales_return", "ref": "SR1", "date": "2026-01-23", "delivery": "D1", "lines": [{"line": 1, "qty": "7"}]})
    assert moves_of("sales_return", "SR1") == [(1, "L-LATE", 6), (1, "L-EARLY", 1)]  # latest expiry first
    stocked({"type": "sales_return", "ref": "SR2", "date": "2026-01-23", "delivery": "D1", "lines": [{"line": 1, "qty": "8"}]})
    assert moves_of("sales_return", "SR2") == [(1, "L-EARLY", 8)]
    from stockbook.batches.service import check

    assert check() == []


def test_count(stocked):
    stocked({"type": "stock_count", "ref": "PD1", "date": "2026-01-09", "warehouse": "WH1",
             "lines": [{"item": "A001", "counted_qty": "27"}]})
    assert moves_of("stock_count", "PD1") == [(1, "PD-PD1", 2)]
    stocked({"type": "stock_count", "ref": "PD2", "date": "2026-01-09", "warehouse": "WH1",
             "lines": [{"item": "A001", "counted_qty": "20"}]})
    assert moves_of("stock_count", "PD2") == [(1, "L-OLD", -5), (1, "L-EARLY", -2)]
    stocked({"type": "stock_count", "ref": "PD3", "date": "2026-01-09", "warehouse": "WH1",
             "lines": [{"item": "A001", "counted_qty": "19", "batches": [
                 {"batch": "L-EARLY", "counted_qty": "8"}, {"batch": "L-LATE", "counted_qty": "11"}]}]})
    assert balances() == {("WH1", "L-EARLY"): 8, ("WH1", "L-LATE"): 11}
    assert err(stocked, {"type": "stock_count", "ref": "PD4", "date": "2026-01-09", "warehouse": "WH1",
                         "lines": [{"item": "A001", "counted_qty": "19", "batches": [{"batch": "L-EARLY", "counted_qty": "8"}]}]}) == "invalid_value"
    from stockbook.batches.service import check

    assert check() == []


def test_void_counter_rows_and_refusal(stocked):
    from stockbook.batches.models import BatchMove
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document

    stocked(dlv("D1", "2026-01-20", "WH1", [("A001", "12", "9.00", None)]))
    void_document(Document.objects.get(ref="D1").pk, reason="错单")
    assert balances() == {("WH1", "L-LATE"): 10, ("WH1", "L-EARLY"): 10, ("WH1", "L-OLD"): 5}
    assert BatchMove.objects.filter(document__ref="D1").count() == 4
    stocked(dlv("D2", "2026-01-20", "WH1", [("A001", "10", "9.00", "L-LATE")]))
    stocked(dlv("D3", "2026-01-20", "WH1", [("A001", "10", "9.00", "L-EARLY")]))
    # voiding R1 would take L-LATE that D2 already delivered: the stock itself is still there (L-OLD), the batch is not
    with pytest.raises(DocError) as e:
        void_document(Document.objects.get(ref="R1").pk, reason="错单")
    assert e.value.code in ("batch_insufficient", "negative_stock")
    assert Document.objects.get(ref="R1").status == "posted"


def test_serials(bco):
    bco(rcv("R1", "2026-01-05", "WH1", [("B002", "2", "5.00", None, None, {"serials": ["SN1", "SN2"]})]))
    assert err(bco, rcv("R2", "2026-01-05", "WH1", [("B002", "2", "5.00", None, None, {"serials": ["SN3"]})])) == "invalid_value"
    assert err(bco, rcv("R3", "2026-01-05", "WH1", [("B002", "1", "5.00", None, None, {"serials": ["SN1"]})])) == "invalid_value"
    assert err(bco, rcv("R4", "2026-01-05", "WH1", [("B002", "1", "5.00", None, None)])) == "invalid_value"
    assert err(bco, dlv("D1", "2026-01-06", "WH1", [("B002", "1", "9.00", None, {"serials": ["SN9"]})])) == "invalid_value"
    bco(dlv("D2", "2026-01-06", "WH1", [("B002", "1", "9.00", None, {"serials": ["SN2"]})]))
    from stockbook.batches.models import Serial

    assert dict(Serial.objects.values_list("code", "status")) == {"SN1": "in", "SN2": "out"}
    assert not written("purchase_receipt", "R2") and not written("sales_delivery", "D1")


def test_turning_batch_management_on_keeps_the_invariant(post_json):
    """An item with stock before it is batch-managed: its stock goes into batch INIT (no expiry: issued last)."""
    from tests.stock.helpers import setup_company

    setup_company(post_json)
    post_json(rcv("R0", "2026-01-02", "WH1", [("A001", "8", "5.00", None, None)]))
    from stockbook.batches.service import check, set_policy
    from stockbook.masterdata.models import Item

    set_policy(Item.objects.get(code="A001"), batch_managed=True, shelf_life_days=100, on_date=date(2026, 1, 3))
    assert balances() == {("WH1", "INIT"): 8} and check() == []
    set_policy(Item.objects.get(code="A001"), batch_managed=True)  # again: nothing new
    assert balances() == {("WH1", "INIT"): 8}
    post_json(rcv("R1", "2026-01-04", "WH1", [("A001", "5", "5.00", "N1", "2026-05-01")]))
    post_json(dlv("D1", "2026-01-05", "WH1", [("A001", "7", "9.00", None)]))
    assert moves_of("sales_delivery", "D1") == [(1, "N1", -5), (1, "INIT", -2)]
    from stockbook.batches.queries import trace

    assert trace("A001", "INIT")["receipts"][0]["type"] == "batch_init"
    assert check() == []


def test_return_of_a_receipt_from_before_batch_management(post_json):
    from tests.stock.helpers import setup_company

    setup_company(post_json)
    post_json(rcv("R0", "2026-01-02", "WH1", [("A001", "8", "5.00", None, None)]))
    from stockbook.batches.service import check, set_policy
    from stockbook.masterdata.models import Item

    set_policy(Item.objects.get(code="A001"), batch_managed=True, on_date=date(2026, 1, 3))
    post_json({"type": "purchase_return", "ref": "PR0", "date": "2026-01-04", "receipt": "R0", "lines": [{"line": 1, "qty": "3"}]})
    assert moves_of("purchase_return", "PR0") == [(1, "INIT", -3)] and check() == []


def test_serials_with_batch_and_void(bco):
    from stockbook.batches.models import ItemPolicy, Serial
    from stockbook.batches.queries import serial_trace, trace
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document

    ItemPolicy.objects.filter(item__code="B002").update(batch_managed=True)
    bco(rcv("R1", "2026-01-05", "WH1", [("B002", "2", "5.00", "SB1", "2027-01-01", {"serials": ["X1", "X2"]})]))
    assert [s["serial"] for s in trace("B002", "SB1")["serials"]] == ["X1", "X2"]
    bco(dlv("D1", "2026-01-06", "WH1", [("B002", "1", "9.00", None, {"serials": ["X1"]})]))
    assert serial_trace("B002", "X1")["status"] == "out"
    void_document(Document.objects.get(ref="D1").pk, reason="错单")
    assert Serial.objects.get(code="X1").status == "in"
    assert [m["direction"] for m in serial_trace("B002", "X1")["moves"]] == ["in", "out"]
