"""Red purchase invoices (红字采购发票): a red line cancels q of a blue invoice line — the blue's 220202 part P,
its tax and its gross are given back in red ink, its difference part (net − P) reversed as a negative invoice
difference at the red invoice's place in move order (3.3), and the receipt line is open again for a return
or a new invoice. Item A001, WH1, supplier S01, tax 13 %."""
import pytest

from tests.stock.helpers import setup_company

from .helpers import bal, consistent, pinv, pred, pret, rec, rejected, result, stock, turnover, dlv

pytestmark = pytest.mark.django_db


def test_moving_partial_full_return_reinvoice(post_json):
    """moving_average:
    R1 01-05 10 kg @ 10.00 = 100.00; PI1 01-10 10 kg @ 12.00: net 120.00, tax 15.60, P 100.00, diff 20.00 → unit
    10 kg 120.00; D1 01-12 4 kg: cost 48.00 → 6 kg 72.00.
    PR1 01-15 red 5 kg of PI1: net round(120 × 5/10) = 60.00, tax 7.80, P round(100 × 5/10) = 50.00, difference
    part reversed 50.00 − 60.00 = −10.00 → unit 6 kg 62.00. Red ink: Dr 220202 −50.00, Dr 222101 −7.80,
    Dr 1405 −10.00 / Cr 220201 −67.80.
    RT1 01-16 return 5 kg of R1 (open again): P = 100.00 − 50.00 = 50.00 (completes the line) → 1 kg 12.00.
    PR2 01-20 red the other 5 kg: completes the blue line: net 120.00 − 60.00 = 60.00, tax 7.80, P 50.00,
    −10.00 → 1 kg 2.00. PI2 01-25 invoices those 5 kg again @ 11.00: net 55.00, tax 7.15, P 50.00, diff
    5.00 → 1 kg 7.00. 220201 = 135.60 − 67.80 − 67.80 + 62.15 = 62.15 owed."""
    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    post_json(dlv("D1", "2026-01-12", "4", "30.00"))
    post_json(pred("PR1", "2026-01-15", "PI1", "5"))
    assert result("PR1") == {"P": 5000, "stock": -1000, "cogs": 0}
    assert stock() == [("WH1", "6", "62.00")]
    assert turnover("220202") == (10000 - 5000, 10000) and turnover("220201") == (0, 13560 - 6780)
    assert turnover("222101") == (1560 - 780, 0)
    post_json(pret("RT1", "2026-01-16", "R1", "5"))
    assert result("RT1") == {"P": 5000, "value": 5000}
    assert stock() == [("WH1", "1", "12.00")]
    post_json(pred("PR2", "2026-01-20", "PI1", "5"))
    from stockbook.posting.models import DocumentLine

    ln = DocumentLine.objects.get(document__ref="PR2")
    assert (ln.amount, ln.tax, ln.result) == (6000, 780, {"P": 5000, "stock": -1000, "cogs": 0})
    post_json(pinv("PI2", "2026-01-25", "R1", "5", "11.00"))
    assert result("PI2") == {"P": 5000, "stock": 500, "cogs": 0}
    assert stock() == [("WH1", "1", "7.00")]
    assert bal("1405") == 700 and bal("220202") == 0 and bal("220201") == -6215 and bal("222101") == 715
    assert bal("5401") == 4800
    rows = consistent()
    assert rows["ap"]["subledger"] == "62.15" and rows["grni"]["subledger"] == "0.00"


def test_fifo_stock_share_and_cogs(post_json):
    """fifo: R1 10 kg @ 10.00; PI1 10 kg @ 12.00: diff 20.00 all to the layer (R = N = 10) → 10 kg 120.00;
    D1 6 kg: 72.00 → layer 4 kg 48.00.
    PR1 red 5 kg: P 50.00, net 60.00, reversed difference −10.00: N = 10, R = 4 → stock share
    round(−10.00 × 4/10) = −4.00 (layer 4 kg 44.00), −6.00 to 5401.
    RT1 returns 4 kg: P round(100 × 4/10) = 40.00 (tq 5 + 4 < 10), the layer's 44.00 leaves, 4.00 to 5401.
    PI2 invoices the last 1 kg @ 11.00: P = 100.00 − 90.00 = 10.00, diff 1.00, no layer left (R = 0) → 5401.
    5401 = 72.00 − 6.00 + 4.00 + 1.00 = 71.00; stock 0; 220201 = 135.60 − 67.80 + 12.43 = 80.23."""
    setup_company(post_json, "fifo")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    post_json(dlv("D1", "2026-01-12", "6", "30.00"))
    post_json(pred("PR1", "2026-01-15", "PI1", "5"))
    assert result("PR1") == {"P": 5000, "stock": -400, "cogs": -600}
    assert stock() == [("WH1", "4", "44.00")]
    post_json(pret("RT1", "2026-01-16", "R1", "4"))
    assert result("RT1") == {"P": 4000, "value": 4400}
    assert rejected(post_json, pinv("PI9", "2026-01-20", "R1", "2", "11.00")) == "invoice_exceeds_receipt"
    post_json(pinv("PI2", "2026-01-20", "R1", "1", "11.00"))
    assert result("PI2") == {"P": 1000, "stock": 0, "cogs": 100}
    assert stock() == []
    assert bal("5401") == 7100 and bal("220202") == 0 and bal("220201") == -8023 and bal("1405") == 0
    consistent()


def test_monthly_across_a_close(post_json):
    """monthly_average: R1 01-05 10 kg @ 10.00, PI1 01-10 @ 12.00 (+20.00 to January's receipts), D1 01-12 4 kg,
    PR1 01-15 red 5 kg (−10.00 to January's receipts). Close January: unit (100 + 20 − 10) / 10 = 11.00,
    closing 6 kg 66.00, D1 44.00.
    February: RT1 02-03 returns 5 kg (P 50.00, a negative receipt); PR2 02-05 reds the other 5 kg (−10.00:
    February's opening 6 kg − 5 > 0); PI2 02-10 invoices them again @ 11.00 (+5.00). Close February: unit
    (66 − 50 − 10 + 5) / 1 = 11.00, closing 1 kg 11.00, no issue cost. The red invoice of February reads the
    receipt line and blue line fully taken in the closed January from the stored documents."""
    setup_company(post_json, "monthly_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    post_json(dlv("D1", "2026-01-12", "4", "30.00"))
    post_json(pred("PR1", "2026-01-15", "PI1", "5"))
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    assert result("D1") == {"cost": 4400}
    assert stock("2026-01-31") == [("WH1", "6", "66.00")]
    post_json(pret("RT1", "2026-02-03", "R1", "5"))
    post_json(pred("PR2", "2026-02-05", "PI1", "5"))
    post_json(pinv("PI2", "2026-02-10", "R1", "5", "11.00"))
    assert result("PR2") == {"P": 5000, "stock": -1000, "cogs": 0}
    assert result("PI2") == {"P": 5000, "stock": 500, "cogs": 0}
    post_json({"type": "period_close", "ref": "C2", "date": "2026-02-28", "period": "2026-02"})
    assert stock("2026-02-28") == [("WH1", "1", "11.00")]
    assert bal("1405") == 1100 and bal("220202") == 0
    consistent("2026-02-28")


def test_red_after_close_and_backdated_delivery(post_json):
    """moving_average: R1 and PI1 (fully taken) in January, January closed. PR1 02-10 reds 5 kg (the receipt line
    and blue line are rebuilt from the stored documents: unit 10 kg 120.00 → 110.00). A delivery D1 dated 02-05,
    posted afterwards, replays February from January's snapshot: D1 48.00, unit 6 kg 72.00 → PR1 62.00.
    Then RT1 02-15 returns the 5 kg (P 50.00) → 1 kg 12.00."""
    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    post_json(pred("PR1", "2026-02-10", "PI1", "5"))
    assert stock() == [("WH1", "10", "110.00")]
    post_json(dlv("D1", "2026-02-05", "4", "30.00"))
    assert result("D1") == {"cost": 4800}
    assert stock() == [("WH1", "6", "62.00")]
    post_json(pret("RT1", "2026-02-15", "R1", "5"))
    assert stock() == [("WH1", "1", "12.00")]
    consistent()


def test_backdated_return_changes_blue_part(post_json):
    """moving_average, parts of a line: R1 3 kg @ 3.3333333 = 10.00. PI0 01-08 1 kg (P 3.33), PI1 01-10 1 kg @
    4.00 (P 3.33, diff 0.67), PR1 01-15 reds PI1 (P 3.33, −0.67). A return RT0 dated 01-07, posted last, takes
    3.33 first: PI1 now completes the line, P = 10.00 − 6.66 = 3.34 (diff 0.66), and PR1 follows its blue line:
    P 3.34, −0.66. Vouchers corrected; recompute() == []; 220202 = 10.00 − 3.33 − 3.34 − 3.33 + 3.34 = 3.34."""
    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "3", "3.3333333"))
    post_json(pinv("PI0", "2026-01-08", "R1", "1", "4.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "1", "4.00"))
    post_json(pred("PR1", "2026-01-15", "PI1", "1"))
    assert result("PR1") == {"P": 333, "stock": -67, "cogs": 0}
    post_json(pret("RT0", "2026-01-07", "R1", "1"))
    assert result("PI1") == {"P": 334, "stock": 66, "cogs": 0}
    assert result("PR1") == {"P": 334, "stock": -66, "cogs": 0}
    assert bal("220202") == -334
    consistent()


def test_return_before_the_red_invoice_is_refused(post_json):
    """The qty a red invoice opens again is open only from the red invoice on: a return dated before it (posted
    after) finds the receipt line fully taken at its place in move order → return_exceeds_original."""
    setup_company(post_json, "fifo")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    post_json(pred("PR1", "2026-01-20", "PI1", "4"))
    assert rejected(post_json, pret("RT1", "2026-01-15", "R1", "4")) == "return_exceeds_original"
    post_json(pret("RT1", "2026-01-21", "R1", "4"))
    consistent()


def test_bad_input(post_json):
    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(rec("R2", "2026-01-05", "10", "10.00", supplier="S02"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    post_json(pinv("PI2", "2026-01-10", "R2", "10", "12.00", supplier="S02"))
    post_json(pred("PR1", "2026-01-15", "PI1", "4"))
    assert rejected(post_json, pred("X1", "2026-01-15", "NOPE", "1")) == "unknown_reference"
    assert rejected(post_json, pred("X2", "2026-01-15", "PI2", "1")) == "invalid_value"  # other supplier
    assert rejected(post_json, pred("X3", "2026-01-09", "PI1", "1")) == "invalid_value"  # blue later
    assert rejected(post_json, pred("X4", "2026-01-15", "PI1", "7")) == "red_exceeds_original"  # 4 + 7 > 10
    assert rejected(post_json, pred("X5", "2026-01-15", "PR1", "1")) == "unknown_reference"  # red of a red
    assert rejected(post_json, pred("X6", "2026-01-15", "PI1", "1", line=2)) == "unknown_reference"
    assert rejected(post_json, pred("X7", "2026-01-15", "PI1", "0")) == "invalid_value"
    assert rejected(post_json, pred("X8", "2026-01-15", "PI1", "1", supplier="S99")) == "unknown_party"
    assert rejected(post_json, pred("X9", "2026-01-15", "PI1", "1", uom="box")) == "unknown_unit"
    two = pred("X10", "2026-01-15", "PI1", "3")
    two["lines"].append({"invoice": "PI1", "line": 1, "qty": "4"})  # 4 + 3 + 4 > 10 inside one document
    assert rejected(post_json, two) == "red_exceeds_original"
    consistent()


def test_void_red_invoice(post_json):
    """Voiding PR1 gives PI1 back all its 10 kg: the receipt line is fully taken again (its open line closed),
    the red voucher reversed, the unit back to 10 kg 120.00. A red invoice whose reopened qty was returned
    cannot be voided (the return would exceed the receipt line): return_exceeds_original."""
    from stockbook.core.errors import DocError
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document
    from stockbook.stock.models import OpenLine
    from stockbook.stock.service import CLOSED

    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    post_json(pred("PR1", "2026-01-15", "PI1", "5"))
    assert [r.data["tq"] for r in OpenLine.objects.filter(kind="r")] == [50000]  # 5 kg of R1 open again
    void_document(Document.objects.get(ref="PR1").pk, reason="开错")
    assert [r.data for r in OpenLine.objects.filter(kind="r")] == [CLOSED]
    assert stock() == [("WH1", "10", "120.00")]
    assert bal("220202") == 0 and bal("220201") == -13560 and bal("1405") == 12000
    consistent()
    post_json(pred("PR2", "2026-01-15", "PI1", "5"))
    post_json(pret("RT1", "2026-01-16", "R1", "5"))
    with pytest.raises(DocError) as e:
        void_document(Document.objects.get(ref="PR2").pk, reason="开错")
    assert e.value.code == "return_exceeds_original"
    assert Document.objects.get(ref="PR2").status == "posted"
    consistent()


def test_void_red_invoice_of_a_line_taken_before_a_close(post_json):
    """R1 fully invoiced by PI1 in January, January closed: the snapshot no longer holds R1's line. PR1 (February)
    reds 5 kg and opens the line again (its row: 5 kg taken); voiding PR1 takes them again — the replay from
    January's snapshot never sees the line, so the void itself closes its row. R1's 5 kg cannot be returned or
    invoiced again afterwards."""
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document
    from stockbook.stock.models import OpenLine
    from stockbook.stock.service import CLOSED

    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    post_json(pred("PR1", "2026-02-10", "PI1", "5"))
    assert [r.data["tq"] for r in OpenLine.objects.filter(kind="r")] == [50000]
    void_document(Document.objects.get(ref="PR1").pk, reason="开错")
    assert [r.data for r in OpenLine.objects.filter(kind="r")] == [CLOSED]
    assert stock() == [("WH1", "10", "120.00")]
    assert rejected(post_json, pret("RT1", "2026-02-15", "R1", "5")) == "return_exceeds_original"
    assert rejected(post_json, pinv("PI2", "2026-02-15", "R1", "5", "11.00")) == "invoice_exceeds_receipt"
    consistent()
