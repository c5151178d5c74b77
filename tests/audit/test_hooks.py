"""What is recorded without the code calling record(): logins with their IP, permission changes, master
data, accounts, periods and company settings with before/after values; and posted documents."""
import json

import pytest
from django.contrib.auth.models import Group, Permission, User

from stockbook.audit.models import AuditEntry
from stockbook.audit.verify import verify

pytestmark = pytest.mark.django_db


def last(action, **kw) -> AuditEntry:
    return AuditEntry.objects.filter(action=action, **kw).order_by("-seq").first()


def test_login_logout_and_failed_login_are_recorded_with_the_ip(client):
    u = User.objects.create_user("clerk", password="s3cret-pass!")
    r = client.post("/login/", {"username": "clerk", "password": "wrong"}, REMOTE_ADDR="10.9.8.7")
    assert r.status_code == 200
    r = client.post("/login/", {"username": "clerk", "password": "s3cret-pass!"}, REMOTE_ADDR="10.9.8.7")
    assert r.status_code == 302
    client.post("/logout/", REMOTE_ADDR="10.9.8.6")
    failed = last("login_failed")
    assert (failed.username, failed.user_id, failed.ip, failed.object_repr) == ("clerk", None, "10.9.8.7", "clerk")
    assert "wrong" not in failed.before + failed.after + failed.remark
    login = last("login")
    assert (login.username, login.user_id, login.ip, login.object_type, login.object_id) == ("clerk", u.pk, "10.9.8.7", "auth.user", str(u.pk))
    logout = last("logout")
    assert (logout.user_id, logout.ip) == (u.pk, "10.9.8.6")
    assert not AuditEntry.objects.filter(action="update", object_type="auth.user").exists()  # last_login is not news
    assert verify().ok


def test_failed_login_of_an_unknown_user_and_the_lockout(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        client.post("/login/", {"username": "nobody", "password": "guess"}, REMOTE_ADDR="192.0.2.1")
    assert AuditEntry.objects.filter(action="login_failed", username="nobody", ip="192.0.2.1").count() >= 2
    assert last("login_locked").username == "nobody"


def test_permission_changes_are_recorded_with_before_and_after():
    u = User.objects.create_user("wh", password="x")
    g = Group.objects.create(name="测试组")
    u.groups.add(g)
    e = last("permission_change", object_type="auth.user")
    assert (json.loads(e.before), json.loads(e.after), e.object_id) == ({"groups": []}, {"groups": ["测试组"]}, str(u.pk))
    perm = Permission.objects.get(codename="view_auditentry")
    g.permissions.add(perm)
    e = last("permission_change", object_type="auth.group")
    assert json.loads(e.after) == {"permissions": ["audit.view_auditentry"]}
    u.user_permissions.add(perm)
    u.groups.remove(g)
    e = last("permission_change", object_type="auth.user")
    assert (json.loads(e.before), json.loads(e.after)) == ({"groups": ["测试组"]}, {"groups": []})
    u.is_superuser = True
    u.save()
    e = last("permission_change", object_type="auth.user")
    assert (json.loads(e.before), json.loads(e.after)) == ({"is_superuser": False}, {"is_superuser": True})


def test_a_password_change_is_recorded_without_the_password():
    u = User.objects.create_user("clerk", password="first-pass")
    u.set_password("second-pass")
    u.save()
    e = last("update", object_type="auth.user")
    assert json.loads(e.after) == {"password": "****** (changed)"}
    texts = "".join(a.before + a.after for a in AuditEntry.objects.all())
    assert u.password not in texts and "pbkdf2" not in texts and "md5$" not in texts


def test_master_data_create_update_delete_with_before_and_after(company):
    from stockbook.masterdata.models import Warehouse

    created = last("create", object_type="masterdata.warehouse")
    assert json.loads(created.after)["code"] == "WH1" and created.object_repr == "WH1 主仓"
    wh = Warehouse.objects.get(code="WH1")
    wh.name = "一号仓"
    wh.address = "上海"
    wh.save()
    e = last("update", object_type="masterdata.warehouse")
    assert (json.loads(e.before), json.loads(e.after)) == ({"address": "", "name": "主仓"}, {"address": "上海", "name": "一号仓"})
    assert e.object_id == str(wh.pk)
    wh.save()  # nothing changed: nothing recorded
    assert last("update", object_type="masterdata.warehouse").seq == e.seq
    spare = Warehouse.objects.create(code="WH9", name="备用仓")
    assert spare.safe_delete() == "deleted"
    d = last("delete", object_type="masterdata.warehouse")
    assert json.loads(d.before)["code"] == "WH9" and d.after == ""


def test_decimal_fields_compare_by_value(company):
    from stockbook.masterdata.models import Item

    it = Item.objects.get(code="A001")
    it.tax_rate = "0.13"  # the same rate as a string: no change
    it.save()
    assert not AuditEntry.objects.filter(action="update", object_type="masterdata.item").exists()
    it.tax_rate = "0.09"
    it.save()
    e = last("update", object_type="masterdata.item")
    assert (json.loads(e.before), json.loads(e.after)) == ({"tax_rate": "0.1300"}, {"tax_rate": "0.0900"})


def test_company_settings_change_is_a_setting_change(company):
    company.costing_method = "fifo"
    company.save()
    e = last("setting_change")
    assert (json.loads(e.before), json.loads(e.after)) == ({"costing_method": "moving_average"}, {"costing_method": "fifo"})
    assert e.object_type == "masterdata.company"


def test_accounts_and_periods(company, post_json):
    from stockbook.posting.handlers.period import reopen_period

    # the chart that came with the company is covered by its document, a new account is recorded
    assert not AuditEntry.objects.filter(action="create", object_type="ledger.account", object_repr__startswith="1001").exists()
    post_json({"type": "account", "code": "560201", "name": "管理费用-办公费", "parent": "5602"})
    assert json.loads(last("create", object_type="ledger.account").after)["code"] == "560201"
    boss = User.objects.create_superuser("boss", password="x")
    post_json({"type": "period_close", "ref": "JZ-CLOSE-2026-01", "date": "2026-01-31", "period": "2026-01"}, user=boss)
    closed = last("close", object_type="ledger.period")
    assert json.loads(closed.after)["status"] == "closed"
    reopen_period("2026-01", boss, reason="补录单据")
    reopened = AuditEntry.objects.filter(action="reopen")
    assert reopened.count() == 1  # once, with the reason (the Period signal leaves it to reopen_period)
    assert (reopened[0].user_id, reopened[0].remark, reopened[0].object_id) == (boss.pk, "补录单据", closed.object_id)
    assert verify().ok


def test_web_change_records_the_user_and_ip(client):
    from stockbook.masterdata.models import Warehouse

    boss = User.objects.create_superuser("boss", password="x")
    client.force_login(boss)
    wh = Warehouse.objects.create(code="W1", name="一号")
    r = client.post(f"/warehouses/{wh.pk}/toggle/", REMOTE_ADDR="10.1.1.1")
    assert r.status_code in (200, 302)
    e = last("update", object_type="masterdata.warehouse")
    assert (e.username, e.user_id, e.ip) == ("boss", boss.pk, "10.1.1.1")
    assert (json.loads(e.before), json.loads(e.after)) == ({"active": True}, {"active": False})


def test_posted_document_entry(company, post_json):
    from stockbook.audit import posted

    boss = User.objects.create_superuser("boss", password="x")
    res = post_json({"type": "purchase_receipt", "ref": "RK-001", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
                     "lines": [{"item": "A001", "qty": "10", "unit_price": "100.00"}]})
    seq = posted(res.document, res.vouchers, boss)
    e = AuditEntry.objects.get(seq=seq)
    assert (e.action, e.object_type, e.object_id, e.user_id) == ("post", "posting.document", str(res.document.pk), boss.pk)
    assert e.object_repr == "采购入库单 RK-001"
    after = json.loads(e.after)
    assert after["ref"] == "RK-001" and after["date"] == "2026-01-05" and after["vouchers"] == [str(v) for v in res.vouchers]
    assert verify().ok
