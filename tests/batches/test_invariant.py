"""Σ batch balances = stock qty of (item, warehouse) for a batch-managed item, whatever the stream of
receipts, deliveries (with or without batch), transfers, returns, scrap, counts and voids (rejected
documents included: they must leave nothing behind)."""
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockbook.core.errors import DocError

BATCHES = {"B1": "2026-02-15", "B2": "2026-06-30", "B3": "2026-12-31"}
WHS = ["WH1", "WH2"]
FAILS = {}
STATS = {}  # accepted documents by type over all examples (a look at what the stream exercised)
qtys = st.integers(1, 12).map(str)
ops = st.lists(st.one_of(
    st.tuples(st.just("rcv"), st.sampled_from(WHS), qtys, st.sampled_from(list(BATCHES))),
    st.tuples(st.just("dlv"), st.sampled_from(WHS), qtys, st.sampled_from([None, None, "B1", "B2", "B3"])),
    st.tuples(st.just("xfer"), st.sampled_from(WHS), qtys, st.sampled_from([None, "B2", "B3"])),
    st.tuples(st.just("pret"), st.integers(0, 5), qtys, st.none()),
    st.tuples(st.just("sret"), st.integers(0, 5), qtys, st.none()),
    st.tuples(st.just("scrap"), st.sampled_from(WHS), qtys, st.sampled_from([None, "B1"])),
    st.tuples(st.just("count"), st.sampled_from(WHS), st.integers(0, 20).map(str), st.none()),
    st.tuples(st.just("void"), st.integers(0, 30), st.none(), st.none()),
), min_size=1, max_size=14)


def _doc(i, op, day, receipts, deliveries):
    kind, a, q, b = op
    ref = f"X{i}"
    if kind == "rcv":
        return {"type": "purchase_receipt", "ref": ref, "date": day, "supplier": "S01", "warehouse": a,
                "lines": [{"item": "A001", "qty": q, "unit_price": "3.00", "batch": b, "expiry": BATCHES[b]}]}
    if kind == "dlv":
        ln = {"item": "A001", "qty": q, "unit_price": "5.00"}
        if b:
            ln["batch"] = b
        return {"type": "sales_delivery", "ref": ref, "date": day, "customer": "C01", "warehouse": a, "lines": [ln]}
    if kind == "xfer":
        ln = {"item": "A001", "qty": q}
        if b:
            ln["batch"] = b
        return {"type": "transfer", "ref": ref, "date": day, "from": a, "to": "WH2" if a == "WH1" else "WH1", "lines": [ln]}
    if kind == "pret" and receipts:
        return {"type": "purchase_return", "ref": ref, "date": day, "receipt": receipts[a % len(receipts)], "lines": [{"line": 1, "qty": q}]}
    if kind == "sret" and deliveries:
        return {"type": "sales_return", "ref": ref, "date": day, "delivery": deliveries[a % len(deliveries)], "lines": [{"line": 1, "qty": q}]}
    if kind == "scrap":
        ln = {"item": "A001", "qty": q}
        if b:
            ln["batch"] = b
        return {"type": "scrap", "ref": ref, "date": day, "warehouse": a, "lines": [ln]}
    if kind == "count":
        return {"type": "stock_count", "ref": ref, "date": day, "warehouse": a, "lines": [{"item": "A001", "counted_qty": q, "unit_cost": "3.00"}]}
    return None


def _assert_invariant():
    from stockbook.batches.models import BatchBalance, BatchMove
    from stockbook.batches.service import check

    assert check() == []
    assert not BatchBalance.objects.filter(qty__lt=0).exists()
    moved = {(r["item_id"], r["warehouse_id"], r["batch_id"]): r["q"] for r in
             BatchMove.objects.values("item_id", "warehouse_id", "batch_id").annotate(q=Sum("qty"))}
    for b in BatchBalance.objects.all():
        assert moved.get((b.item_id, b.warehouse_id, b.batch_id), 0) == b.qty


@settings(max_examples=int(__import__("os").environ.get("BATCH_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stream=ops)
def test_batch_balances_equal_stock(bco, stream):
    _run(bco, stream, None)


@settings(max_examples=int(__import__("os").environ.get("BATCH_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stream=ops, offsets=st.lists(st.integers(0, 12), min_size=14, max_size=14))
def test_batch_balances_equal_stock_backdated(bco, stream, offsets):
    """The same with documents dated out of order (补单): later counts change, batches follow."""
    _run(bco, stream, offsets)


def _run(bco, stream, offsets):
    from hypothesis import note

    note(repr(stream))
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document

    with transaction.atomic():
        receipts, deliveries, posted = [], [], []
        seed = [("rcv", "WH1", "10", "B1"), ("rcv", "WH1", "10", "B3"), ("rcv", "WH2", "10", "B2")]
        for i, op in enumerate(seed + stream):
            k = i - 3
            shift = offsets[k] if offsets is not None and 0 <= k < len(offsets) else i
            day = (date(2026, 1, 2) + timedelta(days=shift)).isoformat()
            if op[0] == "void":
                if posted:
                    try:
                        with transaction.atomic():
                            void_document(posted[op[1] % len(posted)], reason="测试")
                    except DocError:
                        pass
                _assert_invariant()
                continue
            doc = _doc(i, op, day, receipts, deliveries)
            if doc is None:
                continue
            try:
                with transaction.atomic():
                    res = bco(doc)
            except DocError as e:
                FAILS.setdefault(doc["type"], set()).add(e.code)
                assert not Document.objects.filter(ref=doc["ref"]).exists()
            else:
                posted.append(res.document.pk)
                STATS[doc["type"]] = STATS.get(doc["type"], 0) + 1
                if doc["type"] == "purchase_receipt":
                    receipts.append(doc["ref"])
                elif doc["type"] == "sales_delivery":
                    deliveries.append(doc["ref"])
            _assert_invariant()
        transaction.set_rollback(True)


def test_stream_exercised_every_type():
    """Runs after the property test (file order): the stream really posted each kind of document."""
    if not STATS:
        return  # run alone
    assert {"purchase_receipt", "sales_delivery", "transfer"} <= set(STATS), (STATS, FAILS)
