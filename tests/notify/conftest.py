import pytest

from . import fakerobots


@pytest.fixture
def robots():
    r = fakerobots.start()
    yield r
    fakerobots.stop(r)


@pytest.fixture(autouse=True)
def _notify_settings(settings):
    settings.NOTIFY_HTTP_TIMEOUT = 2.0
    settings.NOTIFY_RETRY_BASE = 60
    settings.NOTIFY_MAX_ATTEMPTS = 4
    settings.NOTIFY_SITE_URL = "https://erp.example.com"
    settings.NOTIFY_DISPATCH = "inline"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def acme(db):
    """A company without the posting machinery (the channels only need the row)."""
    from stockbook.masterdata.models import Company

    return Company.objects.create(code="ACME", name="示例商贸有限公司", start_period=202601)


@pytest.fixture
def people(db):
    from django.contrib.auth.models import User

    return {
        "boss": User.objects.create_user("boss", email="boss@example.com", is_staff=True),
        "clerk": User.objects.create_user("clerk", email="clerk@example.com"),
        "noemail": User.objects.create_user("noemail"),
        "gone": User.objects.create_user("gone", email="gone@example.com", is_active=False),
    }


@pytest.fixture
def channel(acme, robots):
    from stockbook.notify.models import Channel

    def make(kind, **kw):
        defaults = {"wecom": {}, "dingtalk": {"sign": True, "secret": fakerobots.DINGTALK_SECRET},
                    "feishu": {"sign": True, "secret": fakerobots.FEISHU_SECRET},
                    "webhook": {"sign": True, "secret": fakerobots.WEBHOOK_SECRET}}[kind]
        fields = {"name": f"{kind} 群", "kind": kind, "url": robots.url(kind), **defaults, **kw}
        return Channel.objects.create(company=acme, **fields)

    return make
