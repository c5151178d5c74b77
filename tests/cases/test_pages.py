"""The pages: list (待确认 red, filters), a case with its actions, certification, close checklist; rights."""
from datetime import date

import pytest

from .conftest import journal, receipt

JAN = date(2026, 1, 31)


@pytest.fixture
def case(people, post_json):
    from stockbook.cases.models import Case
    from stockbook.cases.service import sync

    post_json(journal("J1", "500.00"))
    sync(JAN)
    return Case.objects.get()


def _login(client, user):
    client.force_login(user)
    return client


def test_list_page(client, case, people):
    c = _login(client, people["chief"])
    r = c.get("/cases/")
    html = r.content.decode()
    assert r.status_code == 200 and "差异工单" in html
    assert 'class="case-open" data-status="open"' in html and f"#{case.pk}" in html and "500.00" in html
    assert c.get("/cases/?status=closed").content.decode().count('data-status="') == 0
    assert f"#{case.pk}" in c.get("/cases/?ledger=stock&assignee=me&period=2026-01").content.decode()
    assert f"#{case.pk}" not in c.get("/cases/?ledger=ar").content.decode()
    assert c.get("/cases/?period=2026-99").status_code == 200  # a bad filter: a message, no 500
    assert f"#{case.pk}" not in c.get("/cases/?overdue=1").content.decode()
    type(case).objects.filter(pk=case.pk).update(due=date(2026, 2, 1))
    over = c.get("/cases/?overdue=1").content.decode()
    assert f"#{case.pk}" in over and "case-overdue" in over
    # the nav links
    assert 'href="/cases/certification/"' in html and 'href="/cases/close-check/"' in html


def test_list_page_rights(client, case, people):
    assert _login(client, people["seller"]).get("/cases/").status_code == 403
    r = _login(client, people["east"]).get("/cases/")
    assert r.status_code == 200 and f"#{case.pk}" not in r.content.decode()  # a books case: not in their scope
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def test_detail_and_actions(client, case, people):
    from stockbook.cases.models import Case

    fin = _login(client, people["fin"])
    html = fin.get(f"/cases/{case.pk}/").content.decode()
    assert "规则 <span class=\"mono\">R030</span>" in html and "手工凭证 J1" in html and "/documents/" in html and "/vouchers/" in html
    r = fin.post(f"/cases/{case.pk}/transition/", {"to": "closed"})  # wrong status: a message, nothing written
    assert r.status_code == 302
    assert Case.objects.get().status == "open"
    assert "不能改为" in fin.get(f"/cases/{case.pk}/").content.decode()
    fin.post(f"/cases/{case.pk}/transition/", {"to": "in_progress", "note": "开始核对"})
    fin.post(f"/cases/{case.pk}/comment/", {"text": "已联系制单人"})
    fin.post(f"/cases/{case.pk}/assign/", {"assignee": people["fin"].pk})
    r = fin.post(f"/cases/{case.pk}/transition/", {"to": "resolved", "resolution": "rule", "cause": "cutoff", "note": "跨期"})
    c = Case.objects.get()
    assert c.status == "resolved" and c.assignee == people["fin"] and c.comments.count() == 1 and c.learned_rule.proposed
    html = fin.get(f"/cases/{case.pk}/").content.decode()
    assert "待确认规则" in html and c.learned_rule.code in html and "已联系制单人" in html
    _login(client, people["chief"]).post(f"/cases/{case.pk}/transition/", {"to": "closed"})
    assert Case.objects.get().status == "closed"
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="case-status">已关闭' in html and 'id="form-resolve"' not in html and "学习规则" in html
    r = _login(client, people["east"]).post(f"/cases/{case.pk}/comment/", {"text": "x"})
    assert r.status_code == 404


def test_certification_page(client, people, post_json):
    from stockbook.cases.models import Certification

    post_json(receipt())
    post_json(journal("J1", "5.00"))
    fin = _login(client, people["fin"])
    html = fin.get("/cases/certification/?period=2026-01").content.decode()
    assert "对账签核 2026-01" in html and 'data-pair="stock:1405"' in html and 'data-status="certified"' in html  # zero pairs
    fin.post("/cases/certification/prepare/", {"period": "2026-01", "pair": "stock:1405"})
    assert Certification.objects.get(pair_key="stock:1405").status == "prepared"
    chief = _login(client, people["chief"])
    chief.post("/cases/certification/certify/", {"period": "2026-01", "pair": "stock:1405"})
    assert Certification.objects.get(pair_key="stock:1405").status == "certified"
    r = chief.post("/cases/certification/certify/", {"period": "2026-13", "pair": "stock:1405"})
    assert r.status_code == 302
    assert chief.get("/cases/certification/?period=bad").status_code == 200


def test_certification_page_same_person_refused(client, people, post_json):
    from stockbook.cases.models import Certification

    post_json(journal("J1", "5.00"))
    chief = _login(client, people["chief"])
    chief.post("/cases/certification/prepare/", {"period": "2026-01", "pair": "stock:1405"})
    chief.post("/cases/certification/certify/", {"period": "2026-01", "pair": "stock:1405"})
    assert Certification.objects.get(pair_key="stock:1405").status == "prepared"
    assert "编制人不能签核" in chief.get("/cases/certification/?period=2026-01").content.decode()


def test_close_check_page(client, case, people):
    html = _login(client, people["chief"]).get("/cases/close-check/?period=2026-01").content.decode()
    assert "结账检查 2026-01" in html and 'data-clean="0"' in html and f'href="/cases/{case.pk}/"' in html
    assert "✘" in html and "✔" in html
