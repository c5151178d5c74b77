"""notify(): in-app rows now, email and robots after the business transaction commits, retried until
they succeed or run out of attempts.

What happens inside the caller's transaction: the ``Notification`` and ``Delivery`` rows are written (in a
savepoint, so a failure there is logged and never breaks the caller). A rolled-back business transaction
takes its notifications with it. After the commit the new deliveries are sent (``transaction.on_commit``),
outside any transaction; a failure is recorded on the delivery and retried by ``deliver_pending()`` with
exponential backoff. Nothing in sending raises into the caller.
"""
import json
import logging
import urllib.parse
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from stockbook.core.errors import DocError

from . import channels, conf
from .events import EVENT_RE, event_label
from .models import CHANNEL_KINDS, KIND_DINGTALK, KIND_EMAIL, KIND_FEISHU, KIND_WEBHOOK, KIND_WECOM, Channel, \
    Delivery, Notification, Preference

log = logging.getLogger("stockbook.notify")

STALE_CLAIM = timedelta(minutes=10)  # a "sending" delivery whose sender died is taken up again after this
SAFE_LINK_SCHEMES = ("http", "https")


# -- channel settings ----------------------------------------------------------------------------------

def validate_channel(kind: str, url: str, sign: bool, secret: str) -> None:
    """Raise DocError('invalid_channel', <Chinese sentence>, field=...) for settings a robot would refuse."""
    def bad(message, field):
        raise DocError("invalid_channel", message, field=field)

    if kind not in dict(CHANNEL_KINDS):
        bad(_("Unknown channel type."), "kind")
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in SAFE_LINK_SCHEMES or not parts.hostname or any(c.isspace() for c in url):
        bad(_("Enter a complete webhook address starting with https://."), "url")
    query = urllib.parse.parse_qs(parts.query)
    secret = (secret or "").strip()
    if kind == KIND_WECOM:
        if not query.get("key", [""])[0]:
            bad(_("A 企业微信 robot address ends with ?key=…; copy the whole webhook address."), "url")
        if sign or secret:
            bad(_("企业微信 group robots have no signing secret; clear the secret and signing."), "secret")
        return
    if kind == KIND_DINGTALK and not query.get("access_token", [""])[0]:
        bad(_("A 钉钉 robot address contains access_token=…; copy the whole webhook address."), "url")
    if kind == KIND_FEISHU and not (parts.path.split("/hook/", 1)[1:] or [""])[0].strip("/"):
        bad(_("A 飞书 robot address looks like https://open.feishu.cn/open-apis/bot/v2/hook/…"), "url")
    if sign and not secret:
        if kind == KIND_DINGTALK:
            bad(_("加签 is on: enter the secret shown under 加签 in the 钉钉 robot's security settings (it starts with SEC)."), "secret")
        if kind == KIND_FEISHU:
            bad(_("签名校验 is on: enter the secret shown under 签名校验 in the 飞书 robot's security settings."), "secret")
        bad(_("Signing is on: enter the secret."), "secret")
    if secret and not sign:
        bad(_("A secret was entered but signing is off: turn signing on or clear the secret."), "sign")
    if kind == KIND_DINGTALK and sign and not secret.startswith("SEC"):
        bad(_("A 钉钉 加签 secret starts with SEC; copy it from the robot's security settings."), "secret")


# -- notify() ------------------------------------------------------------------------------------------

def _absolute(link: str) -> str:
    if not link or urllib.parse.urlsplit(link).scheme:
        return link
    base = conf.site_url()
    return base + link if base else ""


def _check_link(link) -> str:
    link = (link or "").strip()
    if not link:
        return ""
    parts = urllib.parse.urlsplit(link)
    if parts.scheme:
        if parts.scheme not in SAFE_LINK_SCHEMES or not parts.netloc:
            raise ValueError(f"notify(): link must be a site path or an http(s) URL, not {link!r}")
    elif not link.startswith("/") or link.startswith(("//", "/\\")):
        raise ValueError(f"notify(): link must start with '/', got {link!r}")
    return link


def _users(recipients):
    User = get_user_model()
    ids, seen = [], set()
    for r in recipients or ():
        pk = r.pk if isinstance(r, User) else int(r)
        if pk not in seen:
            seen.add(pk)
            ids.append(pk)
    by_id = User.objects.filter(pk__in=ids, is_active=True).in_bulk()
    return [by_id[i] for i in ids if i in by_id]


def email_enabled() -> bool:
    """Email goes out when a backend is configured: STOCKBOOK_SMTP_HOST for SMTP, or any other backend
    set in settings (tests use locmem)."""
    from django.conf import settings

    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        return bool(conf.smtp()["host"])
    return True


def notify(event, *, recipients=(), title, body="", link=None, payload=None, company=None):
    """Tell ``recipients`` (users or user ids) about ``event``; returns the in-app Notification rows.

    Robots of the company that subscribe to the event get one message each, people with an email address
    (and email not turned off) one mail each. Call it inside the business transaction: everything is sent
    after the commit, and nothing here can make that transaction fail.
    """
    if not isinstance(event, str) or not EVENT_RE.match(event) or len(event) > 64:
        raise ValueError(f"notify(): bad event name {event!r}")
    title = str(title or "").strip()
    if not title:
        raise ValueError("notify(): title is required")
    title, body = title[:200], str(body or "")
    link = _check_link(link)
    payload = dict(payload or {})
    try:
        json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as e:
        raise ValueError(f"notify(): payload must be JSON-serialisable: {e}") from None
    try:
        with transaction.atomic():
            notes, deliveries = _write(event, recipients, title, body, link, payload, company)
    except Exception:  # noqa: BLE001 — a notification must never break the business transaction
        log.exception("notify(%s) could not record its notifications", event)
        return []
    if deliveries and conf.dispatch_mode() == "inline":
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _after_commit(ids))
    return notes


def _write(event, recipients, title, body, link, payload, company):
    from stockbook.masterdata.models import Company

    users = _users(recipients)
    notes = Notification.objects.bulk_create(
        [Notification(user=u, event=event, title=title, body=body, link=link, payload=payload) for u in users])
    now = timezone.now()
    common = dict(event=event, title=title, body=body, link=link, payload=payload, next_attempt_at=now,
                  max_attempts=conf.max_attempts())
    rows = []
    if users and email_enabled():
        muted = set(Preference.objects.filter(user__in=users, email=False).values_list("user_id", flat=True))
        rows += [Delivery(kind=KIND_EMAIL, user=u, address=u.email, **common)
                 for u in users if u.email and u.pk not in muted]
    company = company or Company.current()
    if company is not None:
        rows += [Delivery(kind=ch.kind, channel=ch, **common)
                 for ch in Channel.objects.filter(company=company, enabled=True).order_by("id") if ch.wants(event)]
    return notes, Delivery.objects.bulk_create(rows)  # SQLite ≥ 3.35 and PostgreSQL return the new ids


def _after_commit(ids):
    try:
        deliver(ids)
    except Exception:  # noqa: BLE001 — the business transaction has committed; the job retries
        log.exception("sending notifications %s failed; deliver_pending() will retry", ids)


# -- sending -------------------------------------------------------------------------------------------

def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: base, 2×base, 4×base … capped."""
    return timedelta(seconds=min(conf.retry_base() * 2 ** max(attempts - 1, 0), conf.retry_cap()))


def _claim(d: Delivery, now) -> bool:
    """Take the delivery for this process (a conditional UPDATE, so two workers never both send it)."""
    due = Q(status=Delivery.PENDING, next_attempt_at__lte=now) | Q(status=Delivery.SENDING,
                                                                 claimed_at__lt=now - STALE_CLAIM)
    n = Delivery.objects.filter(due, pk=d.pk, attempts=d.attempts).update(
        status=Delivery.SENDING, claimed_at=now, attempts=d.attempts + 1)
    if n:
        d.status, d.claimed_at, d.attempts = Delivery.SENDING, now, d.attempts + 1
    return bool(n)


def _send(d: Delivery) -> channels.Result:
    if d.kind == KIND_EMAIL:
        return _send_email(d)
    ch = d.channel
    if ch is None:
        return channels.Result(False, None, _("The channel was deleted."))
    if not ch.enabled and d.event != "notify.test":
        return channels.Result(False, None, _("The channel is disabled."))
    msg = channels.Message(event=d.event, title=d.title, body=d.body, link=_absolute(d.link),
                           payload=d.payload, delivery_id=d.pk)
    return channels.send(ch.kind, ch.url, ch.secret, ch.sign, msg)


def _send_email(d: Delivery) -> channels.Result:
    if not d.address:
        return channels.Result(False, None, _("The user has no email address."))
    link = _absolute(d.link)
    footer = _("Stockbook notification")
    text = d.body + ("\n\n" + _("View details: %(link)s") % {"link": link} if link else "") + \
        f"\n\n-- \n{footer} · {event_label(d.event)}\n"
    from django.conf import settings

    kwargs = {}
    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        kwargs = conf.smtp()
    try:
        connection = get_connection(**kwargs)
        EmailMessage(subject=f"[Stockbook] {d.title}", body=text, from_email=conf.mail_from(), to=[d.address],
                     connection=connection).send()
    except Exception as e:  # noqa: BLE001 — SMTP errors, refused recipients, network
        return channels.Result(False, None, _("Email could not be sent: %(reason)s") % {"reason": e})
    return channels.Result(True)


def _record(d: Delivery, result: channels.Result, now) -> None:
    fields = {"response_code": result.status, "claimed_at": None}
    if result.ok:
        fields.update(status=Delivery.SENT, sent_at=now, last_error="", next_attempt_at=None)
    elif d.attempts >= d.max_attempts:
        fields.update(status=Delivery.FAILED, last_error=result.error[:2000], next_attempt_at=None)
    else:
        fields.update(status=Delivery.PENDING, last_error=result.error[:2000], next_attempt_at=now + backoff(d.attempts))
    Delivery.objects.filter(pk=d.pk, status=Delivery.SENDING, claimed_at=d.claimed_at).update(**fields)
    for k, v in fields.items():
        setattr(d, k, v)
    if not result.ok:
        log.warning("notification delivery %s (%s) attempt %s failed: %s", d.pk, d.kind, d.attempts, result.error)


def deliver_one(d: Delivery, now=None) -> bool | None:
    """Claim, send and record one delivery. None if it was not due or another worker has it.
    ``now`` (tests, and the job's own clock) is when the attempt counts as made."""
    clock = now
    now = now or timezone.now()
    if not _claim(d, now):
        return None
    try:
        result = _send(d)
    except Exception as e:  # noqa: BLE001 — a bug in a sender is recorded like any failure
        log.exception("notification delivery %s raised", d.pk)
        result = channels.Result(False, None, f"{type(e).__name__}: {e}")
    _record(d, result, clock or timezone.now())
    return result.ok


def deliver(ids, now=None) -> dict:
    """Send these deliveries now (those still due)."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for d in Delivery.objects.filter(pk__in=list(ids)).select_related("channel").order_by("id"):
        if deliver_one(d, now) is not None:
            counts[{Delivery.SENT: "sent", Delivery.PENDING: "retry"}.get(d.status, "failed")] += 1
    return counts


def deliver_pending(*, limit: int = 500, now=None) -> dict:
    """Send every due delivery (first attempts the after-commit send missed, and retries whose backoff has
    passed). The scheduled job calls this every minute; returns counts of sent / retry / failed."""
    now = now or timezone.now()
    due = Q(status=Delivery.PENDING, next_attempt_at__lte=now) | Q(status=Delivery.SENDING,
                                                                 claimed_at__lt=now - STALE_CLAIM)
    ids = list(Delivery.objects.filter(due).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    return deliver(ids, now)


def retry_now(d: Delivery) -> None:
    """A person asked for another try of a failed delivery: one more attempt, due now."""
    Delivery.objects.filter(pk=d.pk, status=Delivery.FAILED).update(
        status=Delivery.PENDING, next_attempt_at=timezone.now(), max_attempts=d.attempts + 1)


def send_test(channel: Channel, user=None) -> Delivery:
    """Send a test message to one channel right now (one attempt, recorded like any delivery)."""
    now = timezone.now()
    d = Delivery.objects.create(
        channel=channel, kind=channel.kind, event="notify.test", title=_("Stockbook test message"),
        body=_("This channel is set up correctly: Stockbook notifications will arrive here.")
        + ("\n" + _("Sent by %(user)s") % {"user": user.get_username()} if user else ""),
        link="/notifications/", next_attempt_at=now, max_attempts=1)
    deliver_one(d, now)
    d.refresh_from_db()
    return d


# -- in-app --------------------------------------------------------------------------------------------

def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user, ids=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
