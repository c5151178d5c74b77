"""Concurrency (PostgreSQL only): clients racing to ship the last units of an item.

10 kg of A001 in stock; 12 threads, each with its own database connection, post a delivery of 1–3 kg at
the same moment (a barrier releases them together). Row locks on the costing unit must serialise them:
  - the total shipped is ≤ 10 and every loser got negative_stock (nothing else);
  - stock-balance shows 10 − shipped, the StockMove rows agree, recompute() == [];
  - voucher numbers stay gapless per month (1..n), one voucher per accepted delivery;
  - every thread finishes (joined with a timeout).
"""
import threading

import pytest
from django.db import connection, connections

from stockbook.core.errors import DocError
from stockbook.posting.service import post

from .helpers import D, delivery, receipt, setup_company, stock

N = 12


@pytest.fixture
def pg_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is tested on PostgreSQL")


def _race(docs):
    barrier = threading.Barrier(len(docs))
    outcome: dict[str, str] = {}

    def worker(doc):
        try:
            barrier.wait(timeout=30)
            post(doc)
            outcome[doc["ref"]] = "posted"
        except DocError as e:
            outcome[doc["ref"]] = e.code
        except Exception as e:  # noqa: BLE001 - anything else is a failure, reported below
            outcome[doc["ref"]] = f"{type(e).__name__}: {e}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(doc,), daemon=True) for doc in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in threads), "a poster hung (deadlock?)"
    return outcome


def _gapless():
    from stockbook.ledger.models import Voucher

    by_period = {}
    for period, number in Voucher.objects.values_list("period", "number"):
        by_period.setdefault(period, []).append(number)
    for period, numbers in by_period.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"{period}: {sorted(numbers)}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["moving_average", "fifo", "monthly_average"])
def test_racing_deliveries_never_oversell(pg_only, post_json, method):
    from stockbook.ledger.models import Voucher
    from stockbook.stock.models import StockMove
    from stockbook.stock.revalue import recompute

    setup_company(post_json, method)
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    qty = {f"D{i:02d}": 1 + i % 3 for i in range(N)}
    docs = [delivery(ref, "2026-01-10", "WH1", [("A001", str(q), "20.00")], customer="C02") for ref, q in qty.items()]
    outcome = _race(docs)
    assert len(outcome) == N
    winners = [r for r, o in outcome.items() if o == "posted"]
    losers = {r: o for r, o in outcome.items() if o != "posted"}
    assert all(o == "negative_stock" for o in losers.values()), losers
    shipped = sum(qty[r] for r in winners)
    assert 0 < shipped <= 10
    # a loser lost only because the stock was gone when it came: each loser wanted more than was left
    assert all(qty[r] > 10 - shipped for r in losers)
    left = 10 - shipped
    rows = stock("2026-01-31")
    assert rows.get(("A001", "WH1"), (0, 0, False))[0] == left
    assert sum(m.qty for m in StockMove.objects.filter(item__code="A001")) == left * 10000
    if method != "monthly_average":
        assert rows.get(("A001", "WH1"), (0, D(0), False))[1] == D("10.00") * left
    assert recompute() == []
    _gapless()
    # one voucher per accepted delivery, plus the receipt's
    assert Voucher.objects.filter(document__type="sales_delivery").count() == len(winners)
    assert Voucher.objects.count() == 1 + len(winners)


@pytest.mark.django_db(transaction=True)
def test_racing_receipts_and_deliveries_keep_numbers_gapless(pg_only, post_json):
    """Mixed race in two months: receipts always succeed, deliveries may fail; numbering stays 1..n per month
    even with rejected documents giving their numbers back."""
    from stockbook.stock.revalue import recompute

    setup_company(post_json, "moving_average")
    post_json(receipt("R0", "2026-01-02", "WH1", [("A001", "5", "10.00")]))
    docs = []
    for i in range(N):
        month = "2026-01" if i % 2 else "2026-02"
        if i % 3 == 0:
            docs.append(receipt(f"R{i:02d}", f"{month}-15", "WH1", [("A001", "1", "12.00")]))
        else:
            docs.append(delivery(f"D{i:02d}", f"{month}-20", "WH1", [("A001", "2", "20.00")], customer="C02"))
    outcome = _race(docs)
    assert all(o in ("posted", "negative_stock") for o in outcome.values()), outcome
    assert all(outcome[d["ref"]] == "posted" for d in docs if d["type"] == "purchase_receipt")
    assert recompute() == []
    _gapless()
