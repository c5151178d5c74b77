"""Every refusal of the batch rules leaves nothing behind: no Document, stock move, voucher, batch, batch
move, balance change or serial."""
import pytest

from tests.batches.conftest import dlv, rcv
from tests.stock.helpers import err


def _snapshot():
    from stockbook.batches.models import Batch, BatchBalance, BatchMove, Serial, SerialMove
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document
    from stockbook.stock.models import StockMove

    return (Document.objects.count(), StockMove.objects.count(), Voucher.objects.count(), Batch.objects.count(),
            BatchMove.objects.count(), sorted(BatchBalance.objects.values_list("batch_id", "warehouse_id", "qty")),
            sorted(Serial.objects.values_list("code", "status", "warehouse_id")), SerialMove.objects.count())


BAD = [
    ("invalid_value", rcv("B1", "2026-01-10", "WH1", [("A001", "1", "5.00", None, None)])),  # no batch
    ("invalid_value", rcv("B2", "2026-01-10", "WH1", [("A001", "1", "5.00", "L1", "2027-01-01")])),  # other expiry
    ("invalid_value", rcv("B3", "2026-01-10", "WH1", [("A001", "1", "5.00", "NEW", "31/12/2026")])),  # bad date
    ("invalid_value", rcv("B4", "2026-01-10", "WH1", [("A001", "1", "5.00", "", None)])),  # empty batch
    ("invalid_value", rcv("B5", "2026-01-10", "WH1", [("A001", "1", "5.00", "OK1", "2026-12-31"),
                                                      ("B002", "1", "5.00", None, None, {"serials": ["S1", "S1"]})])),
    ("unknown_batch", dlv("B6", "2026-01-10", "WH1", [("A001", "1", "9.00", "NOPE")])),
    ("batch_expired", dlv("B7", "2026-04-01", "WH1", [("A001", "1", "9.00", "L1")])),
    ("batch_insufficient", dlv("B8", "2026-01-10", "WH1", [("A001", "6", "9.00", "L1")])),
    ("batch_insufficient", dlv("B9", "2026-04-01", "WH1", [("A001", "6", "9.00", None)])),  # only L2 (5) is not expired
    ("invalid_value", dlv("B10", "2026-01-10", "WH1", [("B002", "1", "9.00", None)])),  # serial-managed, no serials
    ("invalid_value", dlv("B11", "2026-01-10", "WH1", [("B002", "1", "9.00", None, {"serials": ["NOPE"]})])),
    ("batch_expired", {"type": "transfer", "ref": "B12", "date": "2026-04-01", "from": "WH1", "to": "WH2",
                       "lines": [{"item": "A001", "qty": "1", "batch": "L1"}]}),
    ("invalid_value", {"type": "stock_count", "ref": "B13", "date": "2026-01-10", "warehouse": "WH1",
                       "lines": [{"item": "A001", "counted_qty": "10", "batches": [{"batch": "L1", "counted_qty": "3"}]}]}),
]


@pytest.mark.parametrize("code,doc", BAD, ids=[d["ref"] for _, d in BAD])
def test_refused_and_nothing_written(bco, code, doc):
    bco(rcv("R1", "2026-01-05", "WH1", [("A001", "5", "5.00", "L1", "2026-03-31"), ("A001", "5", "5.00", "L2", "2026-12-31"),
                                        ("B002", "2", "5.00", None, None, {"serials": ["SN1", "SN2"]})]))
    before = _snapshot()
    assert err(bco, doc) == code
    assert _snapshot() == before
