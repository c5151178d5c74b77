"""notify(): in-app rows, fan-out to email and robots, sending after commit, retries with backoff, and the
business transaction never affected by what happens to a notification."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction

from stockbook.notify import deliver_pending, notify, service
from stockbook.notify.models import Delivery, Notification, Preference


def test_in_app_rows_per_active_recipient(people, acme):
    boss, clerk, gone = people["boss"], people["clerk"], people["gone"]
    notes = notify("approval.requested", recipients=[boss, clerk, boss.pk, gone], title="新的审批：采购入库单 CG-0002",
                   body="金额 12,000.00", link="/documents/8/", payload={"amount": "12000.00"})
    assert sorted(n.user.username for n in notes) == ["boss", "clerk"]
    n = Notification.objects.get(user=boss)
    assert (n.event, n.title, n.body, n.link, n.payload, n.read_at) == (
        "approval.requested", "新的审批：采购入库单 CG-0002", "金额 12,000.00", "/documents/8/", {"amount": "12000.00"}, None)
    assert service.unread_count(boss) == 1 and service.unread_count(gone) == 0


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example/x", "/\\evil.example", "documents/1", "ftp://x/y"])
def test_unsafe_links_are_refused(people, link):
    with pytest.raises(ValueError):
        notify("approval.requested", recipients=[people["boss"]], title="x", link=link)
    assert not Notification.objects.exists()


def test_bad_calls_are_refused(people):
    with pytest.raises(ValueError):
        notify("Approval Requested", recipients=[people["boss"]], title="x")
    with pytest.raises(ValueError):
        notify("approval.requested", recipients=[people["boss"]], title="  ")
    with pytest.raises(ValueError):
        notify("approval.requested", recipients=[people["boss"]], title="x", payload={"user": people["boss"]})
    assert not Notification.objects.exists()
    notify("approval.requested", recipients=[people["boss"]], title="x",
           payload={"amount": Decimal("12.50"), "date": date(2026, 1, 31)})
    assert Notification.objects.get().payload == {"amount": "12.50", "date": "2026-01-31"}


def test_email_to_people_with_an_address_who_did_not_turn_it_off(people, acme, django_capture_on_commit_callbacks):
    Preference.objects.create(user=people["clerk"], email=False)
    with django_capture_on_commit_callbacks(execute=True):
        notify("approval.approved", recipients=list(people.values()), title="采购入库单 CG-0003 已审批通过",
               body="审批人：王经理", link="/documents/9/")
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]
    m = mail.outbox[0]
    assert m.subject == "[Stockbook] 采购入库单 CG-0003 已审批通过"
    assert "审批人：王经理" in m.body and "https://erp.example.com/documents/9/" in m.body and "审批已通过" in m.body
    d = Delivery.objects.get()
    assert (d.kind, d.address, d.status, d.attempts) == ("email", "boss@example.com", Delivery.SENT, 1)


def test_no_email_when_smtp_is_not_configured(people, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.delenv("STOCKBOOK_SMTP_HOST", raising=False)
    notify("approval.approved", recipients=[people["boss"]], title="x")
    assert not Delivery.objects.exists() and Notification.objects.count() == 1


def test_channel_event_filter_and_disabled(channel, robots, django_capture_on_commit_callbacks):
    only_rejections = channel("wecom", events=["approval.rejected"])
    all_approvals = channel("wecom", name="审批群", events=["approval.*"])
    channel("wecom", name="停用", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        notify("approval.requested", title="新的审批")
        notify("approval.rejected", title="被驳回")
        notify("reconcile.difference", title="对账差异")
    got = sorted((d.channel_id, d.title) for d in Delivery.objects.all())
    assert got == sorted([(all_approvals.pk, "新的审批"), (all_approvals.pk, "被驳回"), (only_rejections.pk, "被驳回")])
    assert len(robots.of("wecom")) == 3


def test_retry_with_exponential_backoff_then_success(channel, robots, django_capture_on_commit_callbacks):
    channel("dingtalk")
    robots.fail("dingtalk", 500, 502)
    with django_capture_on_commit_callbacks(execute=True):
        notify("approval.escalated", title="审批超时已升级到财务主管")
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.response_code) == (Delivery.PENDING, 1, 500)
    assert d.last_error.startswith("HTTP 500")
    first_due = d.next_attempt_at

    assert deliver_pending(now=first_due - timedelta(seconds=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert deliver_pending(now=first_due) == {"sent": 0, "retry": 1, "failed": 0}
    d.refresh_from_db()
    assert (d.attempts, d.response_code) == (2, 502)
    assert d.next_attempt_at == first_due + timedelta(seconds=120)  # 60 s, then 120 s …
    assert deliver_pending(now=d.next_attempt_at) == {"sent": 1, "retry": 0, "failed": 0}
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error, d.next_attempt_at) == (Delivery.SENT, 3, "", None)
    assert len(robots.of("dingtalk")) == 3
    assert deliver_pending(now=first_due + timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}


def test_backoff_is_capped(settings):
    assert [service.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert service.backoff(30).total_seconds() == 3600


def test_gives_up_after_max_attempts(channel, robots, django_capture_on_commit_callbacks):
    channel("feishu")
    robots.fail("feishu", 500, 500, 500, 500)
    with django_capture_on_commit_callbacks(execute=True):
        notify("reconcile.difference", title="应收账款对账差异 1,200.00")
    d = Delivery.objects.get()
    while d.status == Delivery.PENDING:
        deliver_pending(now=d.next_attempt_at)
        d.refresh_from_db()
    assert (d.status, d.attempts, d.next_attempt_at) == (Delivery.FAILED, 4, None)
    assert "HTTP 500" in d.last_error
    assert deliver_pending(now=d.created_at + timedelta(days=30))["retry"] == 0
    assert len(robots.of("feishu")) == 4

    service.retry_now(d)  # a person presses 重试 after fixing the robot
    assert deliver_pending()["sent"] == 1


def test_timeout_is_a_retryable_failure(channel, robots, settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_HTTP_TIMEOUT = 0.3
    channel("wecom")
    robots.fail("wecom", "hang")
    with django_capture_on_commit_callbacks(execute=True):
        notify("approval.requested", title="新的审批")
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.response_code) == (Delivery.PENDING, 1, None)
    assert d.last_error == "0.3 秒内没有应答"
    robots.release.set()
    assert deliver_pending(now=d.next_attempt_at)["sent"] == 1


def test_connection_refused_is_recorded(channel, robots, django_capture_on_commit_callbacks):
    ch = channel("wecom")
    ch.url = "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"  # discard port: nothing listens
    ch.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify("approval.requested", title="新的审批")
    d = Delivery.objects.get()
    assert d.status == Delivery.PENDING and d.last_error.startswith("连接失败")


def test_a_sender_bug_is_recorded_not_raised(channel, robots, monkeypatch, django_capture_on_commit_callbacks):
    channel("wecom")

    def broken(*a, **k):
        raise RuntimeError("formatting bug")

    monkeypatch.setattr(service.channels, "send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify("approval.requested", title="新的审批")
    assert notes == []  # no recipients, only the robot
    d = Delivery.objects.get()
    assert d.status == Delivery.PENDING and d.last_error == "RuntimeError: formatting bug"


def test_a_claimed_delivery_is_not_sent_twice(channel, robots, settings):
    settings.NOTIFY_DISPATCH = "defer"  # only the job sends
    channel("wecom")
    notify("approval.requested", title="新的审批")
    d = Delivery.objects.get()
    stale_copy = Delivery.objects.get()
    assert service.deliver_one(d) is True
    assert service.deliver_one(stale_copy) is None  # the other worker's view is out of date: no second send
    assert len(robots.of("wecom")) == 1


def test_a_stuck_sending_delivery_is_taken_up_again(channel, robots, settings):
    settings.NOTIFY_DISPATCH = "defer"
    channel("wecom")
    notify("approval.requested", title="新的审批")
    d = Delivery.objects.get()
    service._claim(d, d.next_attempt_at)  # the worker died after claiming
    assert deliver_pending(now=d.next_attempt_at + timedelta(minutes=5))["sent"] == 0
    assert deliver_pending(now=d.next_attempt_at + timedelta(minutes=11))["sent"] == 1
    d.refresh_from_db()
    assert d.status == Delivery.SENT and d.attempts == 2


def test_deferred_mode_leaves_sending_to_the_job(channel, robots, settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_DISPATCH = "defer"
    channel("wecom")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify("approval.requested", title="新的审批")
    assert callbacks == [] and robots.requests == []
    assert deliver_pending() == {"sent": 1, "retry": 0, "failed": 0}


def test_deleted_channel_fails_its_pending_deliveries(channel, robots, settings):
    settings.NOTIFY_DISPATCH = "defer"
    settings.NOTIFY_MAX_ATTEMPTS = 1
    ch = channel("wecom")
    notify("approval.requested", title="新的审批")
    ch.delete()
    assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 1}
    assert Delivery.objects.get().last_error == "通道已删除。"


# -- the business transaction -------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_robot_failure_after_commit_leaves_the_business_data(channel, robots, people):
    from stockbook.masterdata.models import Region

    channel("wecom")
    robots.fail("wecom", 500)
    with transaction.atomic():
        Region.objects.create(code="EAST", name="华东")
        notify("approval.requested", recipients=[people["boss"]], title="新的审批")
        assert robots.requests == []  # nothing leaves before the commit
    assert Region.objects.filter(code="EAST").exists()
    assert len(robots.of("wecom")) == 1
    d = Delivery.objects.get(kind="wecom")
    assert d.status == Delivery.PENDING and d.response_code == 500
    assert Notification.objects.filter(user=people["boss"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_business_sends_nothing(channel, robots, people):
    channel("wecom")
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            notify("approval.requested", recipients=[people["boss"]], title="新的审批")
            1 / 0
    assert not Notification.objects.exists() and not Delivery.objects.exists()
    assert robots.requests == [] and mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_database_error_inside_notify_does_not_spoil_the_transaction(channel, people, monkeypatch):
    from stockbook.masterdata.models import Region

    def broken_write(*a, **k):
        with connection.cursor() as c:
            c.execute("SELECT * FROM notify_no_such_table")

    monkeypatch.setattr(service, "_write", broken_write)
    with transaction.atomic():
        Region.objects.create(code="NORTH", name="华北")
        assert notify("approval.requested", recipients=[people["boss"]], title="新的审批") == []
        Region.objects.create(code="SOUTH", name="华南")  # the transaction is still usable (PostgreSQL too)
    assert set(Region.objects.values_list("code", flat=True)) >= {"NORTH", "SOUTH"}


def test_management_command(channel, robots, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.NOTIFY_DISPATCH = "defer"
    channel("wecom")
    robots.fail("wecom", 500)
    notify("approval.requested", title="一")
    notify("approval.requested", title="二")
    out = StringIO()
    call_command("notify_deliver", stdout=out)
    assert out.getvalue().strip() == "sent=1 retry=1 failed=0"
