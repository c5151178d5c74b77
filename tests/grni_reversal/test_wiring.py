"""The 暂估处理方式 setting on the company page and the CLI; a document of month N+1 posted before N is closed."""
import json

import pytest

from tests.redinvoice.helpers import bal, consistent, pinv, rec
from tests.stock.helpers import setup_company

pytestmark = pytest.mark.django_db


def test_company_page_sets_and_refuses(web, post_json):
    from stockbook.masterdata.models import Company

    setup_company(post_json, "moving_average")
    r = web.get("/company/")
    assert r.status_code == 200 and "暂估处理方式" in r.content.decode()
    r = web.post("/company/", {"name": "示例商贸有限公司", "tax_id": "", "grni_method": "reversal"})
    assert r.status_code == 302 and Company.current().grni_method == "reversal"
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    r = web.post("/company/", {"name": "改名", "tax_id": "", "grni_method": "difference"})
    assert r.status_code == 200 and "不能再更改暂估处理方式" in r.content.decode()
    c = Company.current()
    assert (c.grni_method, c.name) == ("reversal", "示例商贸有限公司")  # nothing written


def test_cli(post_json, capsys):
    from stockbook.cli import main

    setup_company(post_json, "moving_average")
    assert main(["company", "set", "grni_method", "reversal"]) == 0
    assert json.loads(capsys.readouterr().out)["grni_method"] == "reversal"
    assert main(["company", "set", "grni_method", "bogus"]) == 1
    assert json.loads(capsys.readouterr().err)["error"] == "invalid_value"
    assert main(["company", "show"]) == 0
    assert json.loads(capsys.readouterr().out)["grni_method"] == "reversal"


def test_next_month_document_before_the_close(post_json):
    """R1 01-10 100.00; PI1 02-05 4 kg @ 12.00 posted while January is open: by date it books P 40.00 to 1405
    (Dr 1405 48.00); the reversal is not there yet, so on 02-10 1405 = 148.00 vs stock 108.00 and 220202 = 100.00
    vs 60.00 open: grni_reversal +40.00 on both. Closing January reverses the open amount at 01-31 (100.00, PI1
    is February's) on 02-01: 1405 48.00 vs 108.00, 220202 0.00 vs 60.00: −60.00 on both."""
    from stockbook.posting import grni

    setup_company(post_json, "moving_average")
    grni.set_method("reversal")
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    post_json(pinv("PI1", "2026-02-05", "R1", "4", "12.00"))
    rows = consistent("2026-02-10")
    assert [(c["cause"], c["amount"]) for c in rows["1405"]["causes"]] == [("grni_reversal", "40.00")]
    assert [(c["cause"], c["amount"]) for c in rows["grni"]["causes"]] == [("grni_reversal", "40.00")]
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    assert (bal("1405", "2026-02-10"), bal("220202", "2026-02-10")) == (4800, 0)
    rows = consistent("2026-02-10")
    assert [(c["cause"], c["amount"]) for c in rows["1405"]["causes"]] == [("grni_reversal", "-60.00")]
    assert rows["grni"]["difference"] == "-60.00"


def test_rest(post_json, user):
    from django.contrib.auth.models import User
    from django.test import Client

    from stockbook.masterdata.models import Company
    from stockbook.users.models import ApiToken

    setup_company(post_json, "moving_average")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'tests')[1]}"}
    c = Client()

    def put(body):
        return c.post("/api/company/grni-method", json.dumps(body), content_type="application/json", **auth)

    r = c.get("/api/company/grni-method", **auth)
    assert r.status_code == 200 and r.json() == {"grni_method": "difference", "name": "单到补差", "changeable": True, "reason": None}
    for bad in ({"grni_method": "x"}, {"grni_method": ["reversal"]}, {}, ["reversal"]):
        r = put(bad)
        assert r.status_code == 422 and r.json()["error"] == "invalid_value", bad
    assert put({"grni_method": "reversal"}).json()["grni_method"] == "reversal"
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    r = put({"grni_method": "difference"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    assert Company.current().grni_method == "reversal"
    assert c.get("/api/company/grni-method", **auth).json()["changeable"] is False
    nobody = User.objects.create_user("nobody", password="pw-secret-1")
    r = c.get("/api/company/grni-method", HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(nobody, 'tests')[1]}")
    assert r.status_code in (403, 422) and r.json()["error"] == "not_allowed"


def test_generated_documents_are_readable(post_json, web):
    """The close's 暂估冲回 shows on the document page and in GET /api/documents/{type}/{ref}; an unknown type is
    still 422 (never a 500)."""
    from stockbook.posting import grni
    from stockbook.posting.models import Document

    setup_company(post_json, "moving_average")
    grni.set_method("reversal")
    post_json(rec("R1", "2026-01-10", "10", "10.00"))
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    doc = Document.objects.get(type="grni_reversal")
    assert (doc.ref, str(doc.date), doc.ref_document.ref) == ("ZGCH-2026-02", "2026-02-01", "C1")
    r = web.get("/api/documents/grni_reversal/ZGCH-2026-02")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["id"] == doc.pk and body["status"] == "posted" and body["vouchers"], body
    assert web.get("/api/documents/grni_reversal/ZGCH-2099-01").status_code == 404
    r = web.get("/api/documents/no_such_type/X")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    from django.urls import reverse

    r = web.get(reverse("web:document_detail", args=[doc.pk]))
    assert r.status_code == 200 and "暂估冲回" in r.content.decode()
