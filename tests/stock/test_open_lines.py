"""Open receipt/delivery lines are stored only once taken (stock/service.py, "open receipt/delivery lines"):
posting receipts and deliveries writes no OpenLine row, an invoice or return taking a part writes one, a
fully taken line keeps a CLOSED row, and everything reads the same as if every line had its row."""
from tests.redinvoice.helpers import consistent, dlv, pinv, pret, rec, sinv, stock
from tests.stock.helpers import setup_company


def rows():
    from stockbook.stock.models import OpenLine

    return {(o.kind, o.line_key): o.data for o in OpenLine.objects.order_by("kind", "line_key")}


def test_rows_only_for_taken_and_closed_lines(post_json):
    from stockbook.posting.models import Document
    from stockbook.stock.service import CLOSED

    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(rec("R2", "2026-01-06", "10", "12.00"))
    post_json(dlv("D1", "2026-01-07", "4", "20.00"))
    assert rows() == {}  # nothing taken yet: the document lines say it all
    r1, r2, d1 = (Document.objects.get(ref=r).pk for r in ("R1", "R2", "D1"))
    post_json(pinv("PI1", "2026-01-10", "R1", "4", "10.50"))  # a part of R1
    post_json(pinv("PI2", "2026-01-11", "R2", "10", "12.00"))  # all of R2
    post_json(sinv("SI1", "2026-01-12", "D1", "4", "20.00"))  # all of D1
    got = rows()
    assert got[("r", f"{r2}:1")] == CLOSED and got[("d", f"{d1}:1")] == CLOSED
    assert got[("r", f"{r1}:1")]["tq"] == 40000 and set(got) == {("r", f"{r1}:1"), ("r", f"{r2}:1"), ("d", f"{d1}:1")}
    # the untaken rest of R1 is read from its row; a return takes it to the end (closed)
    post_json(pret("RT1", "2026-01-13", "R1", "6"))
    assert rows()[("r", f"{r1}:1")] == CLOSED
    assert stock() == [("WH1", "10", "118.00")]  # 220 − 44 (D1) + 2 (PI1) − 60 (RT1 at R1's price)
    consistent()  # recompute() compares these rows with a replay from scratch


def test_backdated_document_and_close_read_untaken_lines(post_json):
    """A replay (backdated receipt) and a monthly-average close see the untaken lines that have no row."""
    from stockbook.posting.models import Document

    setup_company(post_json, "monthly_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(dlv("D1", "2026-01-20", "4", "20.00"))
    post_json(rec("R0", "2026-01-02", "10", "14.00"))  # backdated: the item is replayed
    assert rows() == {}
    post_json({"type": "period_close", "ref": "C1", "period": "2026-01", "date": "2026-01-31"})
    d1 = Document.objects.get(ref="D1").pk
    assert rows()[("d", f"{d1}:1")]["c"] == 4800  # the close costed D1 (12.00 × 4): its line is no longer as posted
    post_json(sinv("SI1", "2026-02-03", "D1", "4", "20.00"))
    consistent("2026-02-28")


def test_a_backdated_document_opens_only_the_lines_its_run_refers_to(post_json):
    """A new document's replay opens only the lines an event of the run takes a part of (engine
    ``ItemBook.keep``): the others stay as their document lines say — no accumulator, no row — and can be
    taken afterwards exactly as before; the rows of the lines referred to are kept up to date."""
    from stockbook.posting.models import Document

    from tests.redinvoice.helpers import rejected

    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(rec("R2", "2026-01-06", "10", "12.00"))
    post_json(dlv("D1", "2026-01-07", "4", "20.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "4", "10.50"))  # takes 4 of R1
    r1, r2, d1 = (Document.objects.get(ref=r).pk for r in ("R1", "R2", "D1"))
    post_json(rec("R0", "2026-01-02", "5", "9.00"))  # backdated: replayed; only PI1 refers to a line (R1)
    assert set(rows()) == {("r", f"{r1}:1")} and rows()[("r", f"{r1}:1")]["tq"] == 40000
    post_json(pinv("PI0", "2026-01-08", "R2", "3", "12.50"))  # backdated, and it takes a part of R2 itself
    got = rows()
    assert set(got) == {("r", f"{r1}:1"), ("r", f"{r2}:1")} and got[("r", f"{r2}:1")]["tq"] == 30000
    assert rejected(post_json, pinv("PI2", "2026-01-11", "R1", "7", "10.00")) == "invoice_exceeds_receipt"
    post_json(pinv("PI2", "2026-01-11", "R1", "6", "10.00"))
    assert rejected(post_json, pinv("PI3", "2026-01-12", "R2", "8", "12.00")) == "invoice_exceeds_receipt"
    post_json(pinv("PI3", "2026-01-12", "R2", "7", "12.00"))
    post_json(sinv("SI1", "2026-01-12", "D1", "4", "20.00"))
    assert rows()[("d", f"{d1}:1")] == {"closed": True}
    consistent()


def test_voiding_a_taker_makes_its_line_whole_again(post_json):
    """Voiding an invoice replays the item with a complete book (not trimmed to the lines its events refer to:
    the voided invoice no longer refers to its receipt line, whose row must go)."""
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document

    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "4", "10.50"))
    r1 = Document.objects.get(ref="R1").pk
    assert set(rows()) == {("r", f"{r1}:1")}
    void_document(Document.objects.get(ref="PI1").pk, reason="录错")
    assert rows() == {}
    post_json(pinv("PI2", "2026-01-11", "R1", "10", "10.00"))
    consistent()
