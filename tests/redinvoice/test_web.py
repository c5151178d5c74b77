"""The web form of red invoices: the blue invoice's lines with the qty not yet reddened, posting through post(),
and the receipt's remaining qty after a red invoice."""
import json

import pytest

from tests.stock.helpers import setup_company

from .helpers import pinv, rec

pytestmark = pytest.mark.django_db


def test_form_lines_and_post(web, post_json):
    setup_company(post_json, "moving_average")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(pinv("PI1", "2026-01-10", "R1", "10", "12.00"))
    r = web.get("/documents/new/purchase_red_invoice/?date=2026-01-20&supplier=S01&invoice=PI1")
    assert r.status_code == 200 and "红字采购发票" in r.content.decode()
    j = web.get("/stock/ref-lines", {"type": "purchase_invoice", "ref": "PI1"}).json()
    assert [(ln["line"], ln["remaining"]) for ln in j["lines"]] == [(1, "10")]
    form = {"date": "2026-01-20", "ref": "CGHZ-20260120-001", "supplier": "S01", "src_ref": ["PI1"], "src_line": ["1"],
            "uom": ["kg"], "qty": ["4"]}
    r = web.post("/documents/new/purchase_red_invoice/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    from stockbook.posting.models import Document

    doc = Document.objects.get(type="purchase_red_invoice")
    assert doc.source == "web" and doc.lines.get().result["P"] == 4000
    j = web.get("/stock/ref-lines", {"type": "purchase_invoice", "ref": "PI1"}).json()
    assert [(ln["line"], ln["remaining"]) for ln in j["lines"]] == [(1, "6")]
    j = web.get("/stock/ref-lines", {"type": "purchase_receipt", "ref": "R1"}).json()
    assert [(ln["line"], ln["remaining"]) for ln in j["lines"]] == [(1, "4")]  # open again for a return
    j = web.get("/stock/open-invoices", {"type": "purchase_invoice", "party": "S01"}).json()
    assert [(i["ref"], i["open"]) for i in j["invoices"]] == [("PI1", "81.36")]  # 135.60 − 54.24 reddened
    html = web.get(f"/documents/{Document.objects.get(ref='PI1').pk}/").content.decode()
    assert "/documents/new/purchase_red_invoice/?supplier=S01&amp;invoice=PI1" in html
