"""Red invoices in the apps around the core: rights (doc_invoice), approval amount, names."""
import pytest

from tests.stock.helpers import setup_company

from .helpers import dlv, rec, sinv, sred

pytestmark = pytest.mark.django_db


def test_capability_names_and_approval_amount(post_json):
    from stockbook.access.policy import doc_capability
    from stockbook.approvals.amount import document_amount
    from stockbook.posting.service import TYPE_NAMES

    assert doc_capability("sales_red_invoice") == doc_capability("purchase_red_invoice") == "doc_invoice"
    assert TYPE_NAMES["sales_red_invoice"] == "红字销售发票" and TYPE_NAMES["purchase_red_invoice"] == "红字采购发票"
    setup_company(post_json, "fifo")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(dlv("D1", "2026-01-06", "10", "20.00"))
    post_json(sinv("SI1", "2026-01-10", "D1", "10", "22.00"))  # 248.60
    assert document_amount(sred("SR1", "2026-01-15", "SI1", "4")) == 9944  # round(248.60 × 4 / 10)
    assert document_amount(sred("SR1", "2026-01-15", "NOPE", "4")) is None


def test_void_refuses_blue_with_red(post_json):
    from stockbook.core.errors import DocError
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document

    setup_company(post_json, "fifo")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(dlv("D1", "2026-01-06", "10", "20.00"))
    post_json(sinv("SI1", "2026-01-10", "D1", "10", "22.00"))
    post_json(sred("SR1", "2026-01-15", "SI1", "4"))
    with pytest.raises(DocError) as e:
        void_document(Document.objects.get(ref="SI1").pk, reason="x")
    assert e.value.code == "invalid_value"
