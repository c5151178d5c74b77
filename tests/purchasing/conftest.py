"""A small purchasing company: ACME (moving average) with WH1/WH2, A001 (kg, t = 1000 kg, 13 %), B002 (pcs),
suppliers S01/S02, plus the approval people (buyer 采购, fin1/fin2 财务主管, boss1/boss2 管理层, keeper 仓库 with
质检). Passwords ``pw-<name>``."""
import pytest
from django.db.models import Sum

from tests.approvals.conftest import _settings, make_workflow, people, pw  # noqa: F401  (fixtures)
from tests.stock.helpers import setup_company


@pytest.fixture
def company(post_json):  # noqa: F811 — the approvals fixtures build on this one
    setup_company(post_json, credit_limit=None)
    from stockbook.masterdata.models import Company

    return Company.current()


def po_obj(lines=(("A001", "100", "10.00"),), supplier="S01", warehouse="WH1", day="2026-01-05", **kw):
    return {"supplier": supplier, "warehouse": warehouse, "order_date": day,
            "lines": [{"item": i, "qty": q, "unit_price": p, **({"uom": u[0]} if u else {})} for i, q, p, *u in lines], **kw}


def balance(code) -> int:
    """Debit − credit (分) of ``code`` and its children."""
    from stockbook.ledger.models import VoucherLine

    r = VoucherLine.objects.filter(account__code__startswith=code).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (r["d"] or 0) - (r["c"] or 0)


def voucher_lines(doc) -> list[tuple[str, int, int]]:
    """(account, debit, credit) of a document's vouchers, sorted."""
    from stockbook.ledger.models import VoucherLine

    return sorted((vl.account.code, vl.debit, vl.credit) for vl in VoucherLine.objects.filter(voucher__document=doc).select_related("account"))


def counts() -> tuple:
    """Rows that a rejected action must not have written."""
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document
    from stockbook.purchasing.models import Inspection, ReceiptLink, ReturnLink
    from stockbook.stock.models import StockMove

    return (Document.objects.count(), StockMove.objects.count(), Voucher.objects.count(), ReceiptLink.objects.count(),
            ReturnLink.objects.count(), Inspection.objects.count())


def stock(item="A001", wh="WH1", as_of="2026-12-31"):
    """(qty, value) text from the stock-balance report."""
    from datetime import date

    from stockbook.reports.registry import build_report

    rows = build_report("stock-balance", {"as_of": date.fromisoformat(as_of)}).data["rows"]
    r = next((r for r in rows if r["item"] == item and r["warehouse"] == wh), None)
    return (r["qty"], r["value"]) if r else ("0", "0.00")
