"""REST (202 pending), the web document form, the inbox on a phone, the request page (preview, price
visibility, approve / reject / 转交 with the password), the workflow pages, the CLI and the job."""
import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta

import pytest
from django.test import Client

from stockbook.approvals import service
from stockbook.approvals.models import ApprovalRequest, ApprovalSettings, Workflow
from stockbook.posting.models import Document

from .conftest import pw, receipt

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"


def login(user) -> Client:
    c = Client(HTTP_USER_AGENT=IPHONE)
    c.force_login(user)
    return c


def test_rest_answers_202_then_the_document_appears_when_approved(people, two_levels):
    from stockbook.users.models import ApiToken

    token = ApiToken.issue(people["buyer"], "erp")[1]
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    r = c.post("/api/documents", json.dumps(receipt()), content_type="application/json")
    assert r.status_code == 202, r.content
    body = r.json()
    req = ApprovalRequest.objects.get()
    assert body == {"status": "pending", "approval": req.pk, "type": "purchase_receipt", "ref": "R-1", "id": None,
                    "vouchers": [], "warnings": []}
    assert req.source == "api"
    assert c.get("/api/documents/purchase_receipt/R-1").status_code == 404
    # the same content again: the same request; bad input: its own error at once
    assert c.post("/api/documents", json.dumps(receipt()), content_type="application/json").json()["approval"] == req.pk
    r = c.post("/api/documents", json.dumps(receipt("R-2", supplier="S99")), content_type="application/json")
    assert r.status_code == 422 and r.json()["error"] == "unknown_party"
    service.approve(req.pk, people["fin1"], pw(people["fin1"]))
    service.approve(req.pk, people["boss1"], pw(people["boss1"]))
    r = c.get("/api/documents/purchase_receipt/R-1")
    assert r.status_code == 200 and r.json()["status"] == "posted"
    assert Document.objects.get(ref="R-1").source == "api"


def test_web_form_submits_for_approval(people, two_levels):
    c = login(people["buyer"])
    form = {"date": "2026-01-05", "ref": "CGRK-1", "supplier": "S01", "warehouse": "WH1", "item": ["A001"], "uom": ["kg"],
            "qty": ["10"], "unit_price": ["6000"]}
    r = c.post("/documents/new/purchase_receipt/", form, follow=True)
    req = ApprovalRequest.objects.get()
    assert r.redirect_chain[-1][0] == f"/approvals/{req.pk}/"
    html = r.content.decode()
    assert "已提交审批" in html and "CGRK-1" in html and "待审批" in html
    assert not Document.objects.filter(ref="CGRK-1").exists()


def _cards(html):
    return re.findall(r'data-approval="(\d+)"', html)


def test_inbox_on_a_phone_shows_the_right_requests(people, two_levels, submit, post_json, make_workflow):
    mine = submit()
    other = submit(receipt("R-2"), user=people["solo"])  # solo's own: fin1 and fin2 approve it, not solo
    r = login(people["fin1"]).get("/approvals/")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html and "approvals/approvals.css" in html
    assert sorted(_cards(html)) == sorted([str(mine.pk), str(other.pk)])
    assert "待我审批" in html and "¥60,000.00" in html and "采购入库单 R-1" in html
    # solo: one to approve (the buyer's), one submitted
    solo = login(people["solo"])
    assert _cards(solo.get("/approvals/?tab=todo").content.decode()) == [str(mine.pk)]
    assert _cards(solo.get("/approvals/?tab=mine").content.decode()) == [str(other.pk)]
    # boss1 has nothing yet (level 2); after fin1 approves the buyer's, it is boss1's
    boss = login(people["boss1"])
    assert _cards(boss.get("/approvals/").content.decode()) == []
    service.approve(mine.pk, people["fin1"], pw(people["fin1"]))
    assert _cards(boss.get("/approvals/").content.decode()) == [str(mine.pk)]
    assert _cards(login(people["fin1"]).get("/approvals/?tab=done").content.decode()) == [str(mine.pk)]
    # the nav link counts what waits for the user
    assert re.search(r"data-approvals-pending[^>]*>1<", boss.get("/approvals/").content.decode())
    # a user without the 审批 right has no nav link and an empty to-do list
    keeper = login(people["keeper"]).get("/approvals/?tab=todo").content.decode()
    assert "data-approvals-link" not in keeper and _cards(keeper) == []


def test_request_page_and_approving_from_the_phone(people, two_levels, submit):
    req = submit()
    fin1 = login(people["fin1"])
    html = fin1.get(f"/approvals/{req.pk}/").content.decode()
    assert 'id="approve-form"' in html and 'type="password"' in html and "6000" in html and "供应商一" in html
    assert "A001 铜线" in html and "财务主管审批" in html
    # wrong password: refused, shown, nothing changed
    r = fin1.post(f"/approvals/{req.pk}/approve/", {"a-level": "1", "a-password": "nope"})
    assert r.status_code == 400 and "电子签名无效" in r.content.decode()
    req.refresh_from_db()
    assert req.current_level == 1 and not req.decisions.exists()
    r = fin1.post(f"/approvals/{req.pk}/approve/", {"a-level": "1", "a-password": pw(people["fin1"]), "a-comment": "同意"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.current_level == 2
    # the same form posted again (a replay): refused
    r = fin1.post(f"/approvals/{req.pk}/approve/", {"a-level": "1", "a-password": pw(people["fin1"])})
    assert r.status_code == 400 and "已处理" in r.content.decode()
    boss = login(people["boss1"])
    r = boss.post(f"/approvals/{req.pk}/reject/", {"r-level": "2", "r-password": pw(people["boss1"]), "r-comment": ""})
    assert r.status_code == 400 and "驳回原因" in r.content.decode()
    r = boss.post(f"/approvals/{req.pk}/approve/", {"a-level": "2", "a-password": pw(people["boss1"])}, follow=True)
    req.refresh_from_db()
    assert req.status == "approved" and "已同意，单据已过账" in r.content.decode()  # back to the inbox
    html = login(people["buyer"]).get(f"/approvals/{req.pk}/").content.decode()
    assert f'href="/documents/{req.document_id}/"' in html and "fin1" in html and "同意" in html


def test_reject_and_delegate_through_the_page(people, two_levels, submit):
    req = submit()
    fin1 = login(people["fin1"])
    r = fin1.post(f"/approvals/{req.pk}/delegate/", {"d-level": "1", "d-password": pw(people["fin1"]), "to_user": people["boss1"].pk})
    assert r.status_code == 302
    assert sorted(u.username for u in service.current_approvers(req)) == ["boss1", "fin2", "solo"]
    r = login(people["boss1"]).post(f"/approvals/{req.pk}/reject/",
                                    {"r-level": "1", "r-password": pw(people["boss1"]), "r-comment": "价格偏高"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == "rejected" and req.decisions.get(action="reject").comment == "价格偏高"


def test_who_may_see_a_request(people, two_levels, submit):
    req = submit()
    assert login(people["boss1"]).get(f"/approvals/{req.pk}/").status_code == 404  # not involved (yet)
    assert login(people["seller"]).get(f"/approvals/{req.pk}/").status_code == 404
    assert login(people["buyer"]).get(f"/approvals/{req.pk}/").status_code == 200
    r = login(people["keeper"]).post(f"/approvals/{req.pk}/approve/", {"a-level": "1", "a-password": "pw-keeper"})
    assert r.status_code == 404
    html = login(people["buyer"]).get(f"/approvals/{req.pk}/").content.decode()
    assert 'id="approve-form"' not in html and 'id="cancel-form"' in html


def test_preview_hides_prices_from_an_approver_without_the_right(people, make_workflow, submit):
    from django.contrib.auth.models import Group, Permission, User

    g = Group.objects.create(name="仓库主管")
    g.permissions.add(*Permission.objects.filter(content_type__app_label="access", codename__in=["approve", "view_documents"]))
    lead = User.objects.create_user("lead", password="pw-lead")
    lead.groups.add(g)
    make_workflow([{"roles": ["仓库主管"]}])
    req = submit()
    r = login(lead).get(f"/approvals/{req.pk}/")
    html = r.content.decode()
    assert r.status_code == 200 and "A001 铜线" in html and "10" in html
    assert "6000" not in html and "60,000" not in html and "¥" not in html
    inbox = login(lead).get("/approvals/").content.decode()
    assert _cards(inbox) == [str(req.pk)] and "60,000" not in inbox
    from stockbook.notify.models import Notification

    note = Notification.objects.get(user=lead, event="approval.requested")
    assert "60,000" not in note.body


def test_workflow_pages(people):
    from django.contrib.auth.models import Group, User

    admin = User.objects.create_user("admin", password="pw-admin")
    admin.groups.add(Group.objects.get(name="系统管理员"))
    assert login(people["fin1"]).get("/approvals/workflows/").status_code == 403
    c = login(admin)
    assert c.get("/approvals/workflows/new/").status_code == 200
    fin, boss = Group.objects.get(name="财务主管"), Group.objects.get(name="管理层")
    data = {"name": "大额采购", "doc_type": "purchase_receipt", "min_amount": "50,000.01", "max_amount": "", "priority": "5",
            "active": "on", "s-TOTAL_FORMS": "3", "s-INITIAL_FORMS": "0", "s-MIN_NUM_FORMS": "0", "s-MAX_NUM_FORMS": "20",
            "s-0-name": "财务主管", "s-0-mode": "all", "s-0-roles": [fin.pk], "s-0-timeout_hours": "24",
            "s-1-name": "管理层", "s-1-mode": "any", "s-1-roles": [boss.pk], "s-1-timeout_hours": "48",
            "s-2-mode": "any"}
    r = c.post("/approvals/workflows/new/", data)
    assert r.status_code == 200 and "最后一级" in r.content.decode()  # the last step's timeout has nowhere to go
    data["s-1-escalate_to_role"] = Group.objects.get(name="系统管理员").pk
    r = c.post("/approvals/workflows/new/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    wf = Workflow.objects.get()
    assert (wf.min_amount, wf.max_amount, wf.priority) == (5_000_001, None, 5)
    assert [(s["level"], s["mode"], s["roles"], s["timeout_hours"]) for s in wf.snapshot()] == \
        [(1, "all", [fin.pk], 24), (2, "any", [boss.pk], 48)]
    html = c.get("/approvals/workflows/").content.decode()
    assert "大额采购" in html and "50,000.01" in html
    # edit: drop the first step
    r = c.get(f"/approvals/workflows/{wf.pk}/")
    assert r.status_code == 200 and "50000.01" in r.content.decode()
    data.update({"s-0-DELETE": "on", "s-INITIAL_FORMS": "2"})
    assert c.post(f"/approvals/workflows/{wf.pk}/", data).status_code == 302
    assert [s["roles"] for s in wf.snapshot()] == [[boss.pk]]
    bad = {**data, "min_amount": "abc"}
    assert c.post(f"/approvals/workflows/{wf.pk}/", bad).status_code == 200
    # the self-approval setting
    assert c.post("/approvals/workflows/", {"allow_self_approval": "on"}).status_code == 302
    assert ApprovalSettings.current().allow_self_approval
    from stockbook.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="setting_change", object_type="approvals.workflow").count() == 2
    assert c.post(f"/approvals/workflows/{wf.pk}/delete/").status_code == 302 and not Workflow.objects.exists()


def test_cli_escalate_and_the_job(people, make_workflow, submit):
    from stockbook.approvals import tasks
    from stockbook.cli import main

    make_workflow([{"roles": ["财务主管"], "timeout_hours": 2}, {"roles": ["管理层"]}])
    req = submit()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["approvals", "escalate"]) == 0
    assert json.loads(out.getvalue()) == {"escalated": []}
    later = (req.level_started_at + timedelta(hours=3)).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["approvals", "escalate", "--now", later]) == 0
    assert [d["request"] for d in json.loads(out.getvalue())["escalated"]] == [req.pk]
    req.refresh_from_db()
    assert req.current_level == 2
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["approvals", "escalate", "--now", "yesterday"]) == 2
    assert "--now" in err.getvalue()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["approvals", "list"]) == 0
    assert "采购入库单 R-1" in out.getvalue()
    # the periodic task runs the same function
    assert tasks.escalate_overdue_approvals.call_local() == {"escalated": []}
    assert tasks.SCHEDULE == "*/5 * * * *"


@pytest.mark.parametrize("url", ["/approvals/", "/approvals/count"])
def test_pages_need_a_login(client, db, url):
    r = client.get(url)
    assert r.status_code == 302 and "/login/" in r["Location"]


def _at_375px(tmp_path, html: str) -> dict:
    """Lay the page out in Debian's Chromium in a 375 px wide frame (an iPhone's width; headless windows
    cannot be narrower than 500 px, frames can) → page width and the sizes of its main controls."""
    import html as htmllib
    import shutil
    import subprocess

    from django.contrib.staticfiles import finders

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian chromium is not installed")
    html = re.sub(r'(href|src)="/static/([^"]+)"', lambda m: f'{m[1]}="file://{finders.find(m[2])}"', html)
    (tmp_path / "page.html").write_text(html)
    (tmp_path / "frame.html").write_text("""<!doctype html><html><body style="margin:0">
<iframe id="f" src="page.html" style="width:375px;height:800px;border:0"></iframe><script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument, w = this.contentWindow;
  function box(sel) { var e = d.querySelector(sel); if (!e) return null; var r = e.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; }
  var wide = [].filter.call(d.querySelectorAll('main *'), function (e) { return e.getBoundingClientRect().right > w.innerWidth + 1; })
              .map(function (e) { return e.tagName + '.' + e.className; });
  document.body.setAttribute('data-m', JSON.stringify({width: w.innerWidth, scroll: d.documentElement.scrollWidth, wide: wide.slice(0, 5),
    approve: box('#approve-form button'), password: box('#approve-form input[type=password]'), card: box('.ap-card')}));
});
</script></body></html>""")
    out = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                          "--virtual-time-budget=5000", "--window-size=800,900", "--dump-dom", f"file://{tmp_path / 'frame.html'}"],
                         capture_output=True, text=True, timeout=60).stdout
    m = re.search(r'data-m="([^"]*)"', out)
    assert m, out[:500]
    return json.loads(htmllib.unescape(m.group(1)))


def test_inbox_and_request_fit_a_phone_screen(people, two_levels, submit, tmp_path):
    req = submit(receipt(memo="一个很长的备注" * 10))
    fin1 = login(people["fin1"])
    inbox = _at_375px(tmp_path, fin1.get("/approvals/").content.decode())
    assert inbox["width"] == 375 and inbox["scroll"] <= 375 and inbox["wide"] == []
    assert inbox["card"][0] >= 330  # one card across the screen
    page = _at_375px(tmp_path, fin1.get(f"/approvals/{req.pk}/").content.decode())
    assert page["scroll"] <= 375 and page["wide"] == []
    assert page["approve"][0] >= 300 and page["approve"][1] >= 44  # a big button for a thumb
    assert page["password"][0] >= 300


def test_a_busy_database_at_the_final_posting_is_a_retry_not_a_crash(people, make_workflow, submit, monkeypatch):
    from django.db import OperationalError

    import stockbook.approvals.service as svc

    make_workflow([{"roles": ["财务主管"]}])
    req = submit()

    def deadlock(_req):
        raise OperationalError("deadlock detected")

    monkeypatch.setitem(svc.EXECUTORS, "document", deadlock)
    r = login(people["fin1"]).post(f"/approvals/{req.pk}/approve/", {"a-level": "1", "a-password": pw(people["fin1"])})
    assert r.status_code == 503 and "数据库繁忙" in r.content.decode()
    req.refresh_from_db()
    assert req.status == "pending" and not req.decisions.exists()
