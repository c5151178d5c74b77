"""The approval amount of a red invoice (红字发票, docs/contract-extensions.md) is the gross posting books for
it: per line the part of the blue line (its ``uom`` converted with the blue line's item), the part completing
the blue line what is left after the earlier red parts; a line posting would refuse gives None."""
import pytest

from stockbook.approvals.amount import document_amount
from stockbook.posting.models import Document
from tests.stock.helpers import setup_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def blue(post_json):
    """PI1: 1,000 kg A001 @ 1.37 (net 1,370.00, tax 178.10); SI1: 7 kg @ 3.33 (net 23.31, tax 3.03)."""
    setup_company(post_json, credit_limit=None)
    post_json({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "1", "uom": "t", "unit_price": "1370.00"}]})
    post_json({"type": "purchase_invoice", "ref": "PI1", "date": "2026-01-06", "supplier": "S01",
               "lines": [{"receipt": "R1", "line": 1, "qty": "1000", "unit_price": "1.37"}]})
    post_json({"type": "sales_delivery", "ref": "D1", "date": "2026-01-07", "customer": "C01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "7", "unit_price": "3.33"}]})
    post_json({"type": "sales_invoice", "ref": "SI1", "date": "2026-01-08", "customer": "C01",
               "lines": [{"delivery": "D1", "line": 1, "qty": "7", "unit_price": "3.33"}]})


def _posted_gross(post_json, obj) -> int:
    res = post_json(obj)
    doc = Document.objects.get(pk=res.document.pk)
    return sum(ln.amount + (ln.tax or 0) for ln in doc.lines.all())


def _red(ref, typ, party, lines):
    key = "supplier" if typ == "purchase_red_invoice" else "customer"
    return {"type": typ, "ref": ref, "date": "2026-01-20", key: party, "lines": lines}


def test_red_line_with_a_unit_is_the_part_posting_books(blue, post_json):
    # 0.333 t = 333 kg of 1,000: net round(1370.00 × 0.333) = 456.21, tax round(178.10 × 0.333) = 59.31
    obj = _red("CGHZ-1", "purchase_red_invoice", "S01", [{"invoice": "PI1", "line": 1, "qty": "0.333", "uom": "t"}])
    assert document_amount(obj) == 45621 + 5931
    assert _posted_gross(post_json, obj) == 45621 + 5931
    # the same unit named as the base unit, and two lines of one document on the same blue line
    obj = _red("CGHZ-2", "purchase_red_invoice", "S01", [{"invoice": "PI1", "line": 1, "qty": "111", "uom": "kg"},
                                                         {"invoice": "PI1", "line": 1, "qty": "0.222", "uom": "t"}])
    assert document_amount(obj) == _posted_gross(post_json, obj)
    # the part completing the blue line takes what is left (not a rounded part of its own)
    obj = _red("CGHZ-3", "purchase_red_invoice", "S01", [{"invoice": "PI1", "line": 1, "qty": "0.334", "uom": "t"}])
    assert document_amount(obj) == _posted_gross(post_json, obj)
    reds = Document.objects.filter(type="purchase_red_invoice")
    assert sum(ln.amount + ln.tax for d in reds for ln in d.lines.all()) == 137000 + 17810  # every cent given back
    # nothing is left to red: the amount of another red line is None (posting: red_exceeds_original)
    assert document_amount(_red("CGHZ-4", "purchase_red_invoice", "S01", [{"invoice": "PI1", "line": 1, "qty": "1"}])) is None


def test_sales_red_invoice_parts_that_do_not_add_up(blue, post_json):
    # 3 of 7 kg (named in t): net round(23.31 × 3/7) = 9.99, tax round(3.03 × 3/7) = 1.30; then 4 of 7 in two lines
    # completes the blue line: what is left, 23.31 − 9.99 and 3.03 − 1.30
    first = _red("XSHZ-1", "sales_red_invoice", "C01", [{"invoice": "SI1", "line": 1, "qty": "0.003", "uom": "t"}])
    assert document_amount(first) == _posted_gross(post_json, first) == 999 + 130
    rest = _red("XSHZ-2", "sales_red_invoice", "C01", [{"invoice": "SI1", "line": 1, "qty": "2"},
                                                      {"invoice": "SI1", "line": 1, "qty": "0.002", "uom": "t"}])
    assert document_amount(rest) == _posted_gross(post_json, rest) == 2331 + 303 - 999 - 130


@pytest.mark.parametrize("line", [
    {"invoice": "PI1", "line": 1, "qty": "1", "uom": "箱"},  # not a unit of the item: unknown_unit
    {"invoice": "PI1", "line": 1, "qty": "1.1", "uom": "t"},  # more than the blue line: red_exceeds_original
    {"invoice": "PI1", "line": 1, "qty": "0.00001", "uom": "t"},  # more than four decimals
    {"invoice": "PI1", "line": 1, "qty": "0.0001", "uom": "t"},  # 0.1 kg: fine, see below
    {"invoice": "PI1", "line": 1, "qty": "0", "uom": "t"},
    {"invoice": "PI1", "line": 1, "qty": "x", "uom": "t"},
    {"invoice": "PI1", "line": 1, "qty": "1", "uom": 5},
    {"invoice": "PI1", "line": 2, "qty": "1"},
    {"invoice": "PI1", "line": "1", "qty": "1"},
    {"invoice": "NOPE", "line": 1, "qty": "1"},
    {"invoice": "SI1", "line": 1, "qty": "1"},  # a sales invoice is not a purchase red invoice's blue
    "not a line",
])
def test_bad_red_lines(blue, line):
    amount = document_amount(_red("CGHZ-9", "purchase_red_invoice", "S01", [line]))
    if isinstance(line, dict) and line.get("qty") == "0.0001":
        assert amount == 14 + 2  # 0.1 kg of 1,000: net round(137000 分 / 10000) = 14 分, tax round(17810 / 10000) = 2 分
    else:
        assert amount is None


def test_voided_blue_is_not_a_blue(blue, post_json):
    from stockbook.posting.models import Document as D

    D.objects.filter(ref="SI1").update(status=D.VOID)
    assert document_amount(_red("XSHZ-1", "sales_red_invoice", "C01", [{"invoice": "SI1", "line": 1, "qty": "1"}])) is None
