"""月初回冲 (grni_method "reversal", docs/contract-extensions.md §4): vouchers only; stock and costing as the contract.

The company: A001 (1405), WH1, S01. Documents (the same for every test unless said):
  R1  01-10 receipt 10 kg @ 10.00 = 100.00 (Dr 1405 100.00 / Cr 220202 100.00)
  close 2026-01 → ZGCH-2026-02 dated 02-01, red ink: Dr 1405 −100.00 / Cr 220202 −100.00 (linked to R1 line 1)
  PI1 02-20 invoice 4 kg @ 12.00: net 48.00, tax 6.24, P = round(100.00 × 4 / 10) = 40.00, difference 8.00 to
      the stock (no issue: all of it, every method). Under 月初回冲 P goes to 1405: Dr 1405 48.00, Dr 222101 6.24 /
      Cr 220201 54.24 (单到补差: Dr 220202 40.00, Dr 1405 8.00, Dr 222101 6.24 / Cr 220201 54.24).
  close 2026-02 → ZG-2026-02 dated 02-28: Dr 1405 60.00 / Cr 220202 60.00 (the open 100.00 − 40.00 re-estimated);
                  ZGCH-2026-03 dated 03-01: Dr 1405 −60.00 / Cr 220202 −60.00.
Month-end balances equal the 单到补差 company's (same documents):
  01-31: 1405 100.00, 220202 −100.00 (both methods);
  02-28: 1405 100 − 100 + 48 + 60 = 108.00, 220202 −100 + 100 − 60 = −60.00; 单到补差: 100 + 8 = 108.00, −100 + 40 = −60.00.
Mid-month (02-15) the ledger is below the subledgers by the reversed 100.00: reconcile explains it as
grni_reversal −100.00 on 1405 and on 220202 (credit positive), 0.00 unexplained.
"""
from datetime import date

import pytest

from stockbook.core.errors import DocError
from tests.redinvoice.helpers import bal, consistent, pinv, pred, pret, rec

pytestmark = pytest.mark.django_db


def setup(post_json, method="moving_average"):
    from tests.stock.helpers import setup_company

    setup_company(post_json, method)
    from stockbook.posting import grni

    grni.set_method("reversal")


def close(post_json, period, ref=None):
    """Close ``period``; the close's incremental open amounts equal the full scan of every receipt line."""
    from stockbook.posting import grni
    from stockbook.stock.events import month_end

    post_json({"type": "period_close", "ref": ref or f"CLOSE-{period}", "date": f"{period}-01", "period": period})
    p = int(period.replace("-", ""))
    assert grni.open_at_close(p) == grni.open_amounts(month_end(p))


def vlines(doc_type, ref=None):
    from stockbook.ledger.models import VoucherLine

    qs = VoucherLine.objects.filter(voucher__document__type=doc_type)
    if ref:
        qs = qs.filter(voucher__document__ref=ref)
    return sorted((str(v.date), v.account.code, v.debit, v.credit, v.document.ref if v.document else None, v.doc_line)
                  for v in qs.select_related("account", "document"))


def recon(as_of):
    rows = consistent(as_of)
    return {k: (r["difference"], [(c["cause"], c["amount"]) for c in r["causes"]]) for k, r in rows.items()}


@pytest.mark.parametrize("method", ["moving_average", "fifo", "monthly_average"])
def test_reversal_estimate_and_invoice(post_json, method):
    setup(post_json, method)
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    close(post_json, "2026-01")
    assert vlines("grni_reversal") == [("2026-02-01", "1405", -10000, 0, "R1", 1), ("2026-02-01", "220202", 0, -10000, "R1", 1)]
    assert vlines("grni_estimate") == []
    assert (bal("1405", "2026-01-31"), bal("220202", "2026-01-31")) == (10000, -10000)
    assert recon("2026-02-15")["1405"] == ("-100.00", [("grni_reversal", "-100.00")])
    assert recon("2026-02-15")["grni"] == ("-100.00", [("grni_reversal", "-100.00")])
    post_json(pinv("PI1", "2026-02-20", "R1", "4", "12.00"))
    assert vlines("purchase_invoice") == [("2026-02-20", "1405", 4800, 0, "PI1", 1), ("2026-02-20", "220201", 0, 5424, "PI1", 1),
                                          ("2026-02-20", "222101", 624, 0, "PI1", 1)]
    # monthly average: the 8.00 difference waits for the close (pending_cost 8.00), the rest is the same
    assert dict(recon("2026-02-25")["1405"][1])["grni_reversal"] == "-60.00"
    close(post_json, "2026-02")
    assert vlines("grni_estimate") == [("2026-02-28", "1405", 6000, 0, "R1", 1), ("2026-02-28", "220202", 0, 6000, "R1", 1)]
    assert vlines("grni_reversal", "ZGCH-2026-03") == [("2026-03-01", "1405", -6000, 0, "R1", 1), ("2026-03-01", "220202", 0, -6000, "R1", 1)]
    assert (bal("1405", "2026-02-28"), bal("220202", "2026-02-28")) == (10800, -6000)  # = 单到补差
    assert recon("2026-02-28")["1405"] == ("0.00", []) and recon("2026-02-28")["grni"] == ("0.00", [])
    assert dict(recon("2026-02-25")["grni"][1]) == {"grni_reversal": "-60.00"}  # inside a closed month: as before its close
    assert (bal("1405", "2026-03-01"), bal("220202", "2026-03-01")) == (4800, 0)
    assert recon("2026-03-01")["grni"] == ("-60.00", [("grni_reversal", "-60.00")])


def test_same_month_invoice_is_the_contract(post_json):
    """An invoice in the receipt's month takes P from 220202 as under 单到补差; nothing is open at the close."""
    setup(post_json)
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-20", "R1", "10", "10.00"))
    assert ("2026-01-20", "220202", 10000, 0, "PI1", 1) in vlines("purchase_invoice")
    close(post_json, "2026-01")
    assert vlines("grni_reversal") == [] and vlines("grni_estimate") == []


def test_return_red_invoice_and_reopen(post_json):
    """R1 Jan, PI1 Feb 4 kg (P 40.00), close Feb. March: RT1 returns 2 kg: P = round(60.00 × 2 / 6) = 20.00,
    moving average takes 20.00 from the unit: Dr 1405 20.00 (rerouted P) / Cr 1405 20.00 → nets to no voucher.
    PR1 reds 2 kg of PI1: Pr = 20.00, net 24.00, tax 3.12, d = −4.00 to the unit: Dr 1405 −24.00 (−Pr rerouted,
    −4.00), Dr 222101 −3.12 / Cr 220201 −27.12. 03-20: stock 8 kg = 108 − 20 − 4 = 84.00; 1405 = 48 − 24 = 24.00;
    grni subledger 100 − 40 − 20 + 20 = 60.00, 220202 0.00: both −60.00 grni_reversal.
    Reopening February voids ZG-2026-02 and ZGCH-2026-03 (reversed, dated like them); the cause still explains."""
    setup(post_json)
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    close(post_json, "2026-01")
    post_json(pinv("PI1", "2026-02-20", "R1", "4", "12.00"))
    close(post_json, "2026-02")
    post_json(pret("RT1", "2026-03-05", "R1", "2"))
    assert vlines("purchase_return") == []
    post_json(pred("PR1", "2026-03-10", "PI1", "2"))
    assert vlines("purchase_red_invoice") == [("2026-03-10", "1405", -2400, 0, "PR1", 1), ("2026-03-10", "220201", 0, -2712, "PR1", 1),
                                              ("2026-03-10", "222101", -312, 0, "PR1", 1)]
    r = recon("2026-03-20")
    assert r["1405"] == ("-60.00", [("grni_reversal", "-60.00")]) and r["grni"] == ("-60.00", [("grni_reversal", "-60.00")])
    assert bal("1405", "2026-03-20") == 2400
    from stockbook.posting.handlers.period import reopen_period
    from stockbook.posting.models import Document

    reopen_period("2026-02")
    assert set(Document.objects.filter(type__in=("grni_estimate", "grni_reversal")).values_list("ref", "status")) == {
        ("ZGCH-2026-02", "posted"), ("ZG-2026-02", "void"), ("ZGCH-2026-03", "void")}
    assert (bal("1405", "2026-02-28"), bal("220202", "2026-02-28")) == (4800, 0)
    assert (bal("1405", "2026-03-01"), bal("220202", "2026-03-01")) == (4800, 0)
    r = recon("2026-03-20")
    assert r["1405"] == ("-60.00", [("grni_reversal", "-60.00")])
    close(post_json, "2026-02", "CLOSE-2026-02-AGAIN")  # closing again posts them again
    assert (bal("1405", "2026-02-28"), bal("220202", "2026-02-28")) == (10800, -6000)
    assert recon("2026-02-28")["grni"] == ("0.00", [])
    assert Document.objects.filter(type="grni_estimate", status="posted").get().ref == "ZG-2026-02-2"
    from stockbook.posting.integrity import check

    assert check() == []


def test_method_change_rules(post_json):
    from stockbook.masterdata.models import Company
    from stockbook.posting import grni
    from tests.stock.helpers import setup_company

    setup_company(post_json, "moving_average")
    with pytest.raises(DocError) as e:
        grni.set_method("monthly")
    assert e.value.code == "invalid_value" and Company.current().grni_method == "difference"
    grni.set_method("reversal")
    from stockbook.audit.models import AuditEntry

    assert AuditEntry.objects.filter(object_type="masterdata.company", after__contains="reversal").exists()
    grni.set_method("difference")
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    with pytest.raises(DocError) as e:
        grni.set_method("reversal")
    assert e.value.code == "invalid_value" and Company.current().grni_method == "difference"
    grni.set_method("difference")  # unchanged: allowed


def test_difference_method_posts_nothing_extra(post_json):
    from tests.stock.helpers import setup_company

    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    close(post_json, "2026-01")
    post_json(pinv("PI1", "2026-02-20", "R1", "4", "12.00"))
    assert ("2026-02-20", "220202", 4000, 0, "PI1", 1) in vlines("purchase_invoice")
    assert vlines("grni_reversal") == []
    assert recon("2026-02-15")["1405"] == ("0.00", [])


def test_backdated_invoice_changes_a_rerouted_p(post_json):
    """R1 01-10 3 kg @ 10.00/3 kg = 10.00 (3 kg × 3.3333… → net 10.00); close January (reversal −10.00 on 02-01).
    PI1 02-20 1 kg @ 4.00: P = round(10.00 × 1 / 3) = 3.33; PI2 02-25 1 kg @ 4.00: P 3.33. PI0 02-10 (backdated)
    1 kg @ 4.00: P 3.33 and PI2 now completes the line: P = 10.00 − 6.66 = 3.34. Under 月初回冲 every one of them books
    P + difference = net 4.00 on 1405, so re-costing changes nothing on the ledger (单到补差 would move 0.01 from
    1405 to 220202 on PI2): 220202 has no invoice line; the books stay whole and explained."""
    setup(post_json)
    post_json(rec("R1", "2026-01-10", "3", "3.3333333"))
    close(post_json, "2026-01")
    post_json(pinv("PI1", "2026-02-20", "R1", "1", "4.00"))
    post_json(pinv("PI2", "2026-02-25", "R1", "1", "4.00"))
    from tests.redinvoice.helpers import result

    assert result("PI2")["P"] == 333
    post_json(pinv("PI0", "2026-02-10", "R1", "1", "4.00"))
    assert result("PI2")["P"] == 334
    assert [v for v in vlines("purchase_invoice") if v[1] == "220202"] == []
    assert sum(v[2] for v in vlines("purchase_invoice") if v[1] == "1405") == 1200
    r = recon("2026-02-26")
    assert r["grni"] == ("0.00", []) and r["1405"] == ("0.00", [])
    close(post_json, "2026-02")
    assert vlines("grni_estimate") == []  # fully invoiced at the end of February
    assert (bal("1405", "2026-02-28"), bal("220202", "2026-02-28")) == (1200, 0)
    from stockbook.posting.integrity import check

    assert check() == []
