"""Certification (签核) of each ledger pair per period: a preparer (``reconcile``) records the figures at the
period end, a reviewer (``certify``, another person) certifies them; a pair at 0.00 with no open case
certifies by itself once the period is over. A later posting that changes a certified (or prepared)
period's figures re-opens it, records the document and tells its owners (``on_books_changed``)."""
import logging
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from stockbook import audit
from stockbook.access.policy import can, can_read_books
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money

from .models import Case, Certification, CertificationEvent
from .service import LEDGER_NAMES, fen, holders, period_end, period_of, period_text, today

log = logging.getLogger("stockbook.cases")
STATUS_NAMES = dict(Certification.STATUSES)


def pairs_at(period: int) -> list[dict]:
    """The engine's pairs at the period end (maintained result)."""
    from stockbook.recon.service import current

    return current(period_end(period))["data"]


def figures(pair: dict) -> dict:
    return {"gl": fen(pair["gl"]), "sub": fen(pair["subledger"]), "difference": fen(pair["difference"])}


def _pair(period: int, pair_key: str, pairs_json=None) -> dict:
    for p in pairs_json if pairs_json is not None else pairs_at(period):
        if p["key"] == pair_key:
            return p
    raise DocError("invalid_value", f"没有对账项目「{pair_key}」", field="pair")


def _get(pair: dict, period: int, lock=True) -> Certification:
    qs = Certification.objects.select_for_update() if lock else Certification.objects
    cert = qs.filter(pair_key=pair["key"], period=period).first()
    if cert is None:
        cert, _ = Certification.objects.get_or_create(pair_key=pair["key"], period=period, defaults={
            "ledger": pair["ledger"], "account": pair["account"], "as_of": period_end(period)})
        if lock:
            cert = Certification.objects.select_for_update().get(pk=cert.pk)
    return cert


def _event(cert, kind, user, text, figs=None, action=None):
    CertificationEvent.objects.create(certification=cert, kind=kind, user=user if getattr(user, "pk", None) else None,
                                      text=text, figures=figs)
    audit.record(action or f"cert_{kind}", cert, user=user, after={"status": cert.status, **(figs or {})}, remark=text,
                 object_repr=f"{cert.pair_key} {period_text(cert.period)}")


def _figs_text(f) -> dict:
    return {k: fmt_money(v) for k, v in f.items()}


def prepare(pair_key: str, period: int, user, note: str = "") -> Certification:
    """The preparer reconciles: the figures at the period end are stored with the certification."""
    if not can(user, "reconcile") or (user is not None and not can_read_books(user)):
        raise DocError("not_allowed", "编制对账需要「对账处理」权限并能查看全部账簿")
    pair = _pair(period, pair_key)
    f = figures(pair)
    with transaction.atomic():
        cert = _get(pair, period)
        if cert.status == Certification.CERTIFIED:
            raise DocError("invalid_value", f"{pair_key} {period_text(period)} 已签核，不能重新编制")
        cert.status = Certification.PREPARED
        cert.gl, cert.sub, cert.difference = f["gl"], f["sub"], f["difference"]
        cert.preparer = user if getattr(user, "pk", None) else None
        cert.prepared_at = timezone.now()
        cert.reviewer, cert.certified_at, cert.by_system = None, None, False
        cert.note = (note or "").strip()
        cert.save()
        _event(cert, "prepared", user, "编制完成" + (f"：{cert.note}" if cert.note else ""), _figs_text(f))
    return cert


def certify(pair_key: str, period: int, user, note: str = "") -> Certification:
    """The reviewer certifies a prepared pair: another person than the preparer (unless self-approval is
    allowed), and the figures still those prepared."""
    from stockbook.approvals.conf import allow_self_approval

    if not can(user, "certify") or (user is not None and not can_read_books(user)):
        raise DocError("not_allowed", "签核需要「对账签核」权限并能查看全部账簿")
    pair = _pair(period, pair_key)
    f = figures(pair)
    with transaction.atomic():
        cert = _get(pair, period)
        if cert.status != Certification.PREPARED:
            raise DocError("invalid_value", f"{pair_key} {period_text(period)} 当前为「{STATUS_NAMES[cert.status]}」，须先编制再签核")
        if user is not None and cert.preparer_id == user.pk and not allow_self_approval():
            raise DocError("segregation_of_duties", "编制人不能签核自己编制的对账，须由他人复核")
        if (cert.gl, cert.sub, cert.difference) != (f["gl"], f["sub"], f["difference"]):
            raise DocError("invalid_value", "编制后数据已发生变化，请重新编制")
        cert.status = Certification.CERTIFIED
        cert.reviewer = user if getattr(user, "pk", None) else None
        cert.certified_at = timezone.now()
        cert.by_system = False
        if note:
            cert.note = (cert.note + "\n" + note.strip()).strip()
        cert.save()
        _event(cert, "certified", user, "复核签核" + (f"：{note.strip()}" if note else ""), _figs_text(f))
    return cert


def auto_certify(period: int, pairs_json=None) -> list[str]:
    """Once the period is over: every pair whose difference is 0.00 and which has no open or in-progress case
    of the period is certified by the system. → the pair keys certified now."""
    if period_end(period) >= today():
        return []
    pairs_json = pairs_at(period) if pairs_json is None else pairs_json
    busy = set(Case.objects.filter(period=period, status__in=Case.ACTIVE).values_list("pair_key", flat=True))
    done = []
    with transaction.atomic():
        for p in pairs_json:
            f = figures(p)
            if f["difference"] or p["key"] in busy:
                continue
            cert = _get(p, period)
            if cert.status == Certification.CERTIFIED:
                continue
            cert.status = Certification.CERTIFIED
            cert.gl, cert.sub, cert.difference = f["gl"], f["sub"], 0
            cert.by_system, cert.reviewer, cert.certified_at = True, None, timezone.now()
            if cert.prepared_at is None:
                cert.prepared_at = cert.certified_at
            cert.save()
            _event(cert, "auto_certified", None, "差异为 0.00 且无未结工单，系统自动签核", _figs_text(f))
            done.append(p["key"])
    return done


def status_for(period: int) -> list[dict]:
    """Each pair of the period with its figures (now) and its certification."""
    pairs = pairs_at(period)
    certs = {c.pair_key: c for c in Certification.objects.filter(period=period).select_related("preparer", "reviewer")}
    open_cases = {}
    for pk, key in Case.objects.filter(period=period, status__in=Case.ACTIVE).values_list("id", "pair_key"):
        open_cases.setdefault(key, []).append(pk)
    out = []
    for p in pairs:
        out.append({"pair": p, "figures": figures(p), "cert": certs.get(p["key"]), "open_cases": open_cases.get(p["key"], []),
                    "ledger_name": LEDGER_NAMES.get(p["ledger"], p["ledger"])})
    return out


# -- re-open on a later posting ----------------------------------------------------------------------------
def on_books_changed(sender, document=None, date=None, **kw):
    """``books_changed`` receiver (after commit): one indexed query; only when a prepared or certified period
    at or after the document's period exists does it recompute those periods' pairs."""
    if date is None:
        return
    try:
        with connection.cursor() as cur:  # plain SQL: every posting asks, and almost always learns "none"
            cur.execute(f"SELECT DISTINCT period FROM {Certification._meta.db_table} WHERE period >= %s AND status IN (%s, %s) "
                        f"ORDER BY period", [period_of(date), Certification.PREPARED, Certification.CERTIFIED])
            periods = [r[0] for r in cur.fetchall()]
        for period in periods:
            reopen_if_changed(period, document)
    except Exception:  # never into the poster's request
        log.exception("cases: re-opening certifications after %s failed", document)


def reopen_if_changed(period: int, document=None) -> list[str]:
    pairs = {p["key"]: p for p in pairs_at(period)}
    reopened = []
    with transaction.atomic():
        for cert in Certification.objects.select_for_update().filter(period=period, status__in=(
                Certification.PREPARED, Certification.CERTIFIED)):
            p = pairs.get(cert.pair_key)
            f = figures(p) if p else {"gl": 0, "sub": 0, "difference": 0}
            old = {"gl": cert.gl, "sub": cert.sub, "difference": cert.difference}
            if old == f:
                continue
            was = cert.status
            owners = [u for u in (cert.preparer, cert.reviewer) if u is not None]
            if not owners:
                owners = list(holders("certify"))
            what = f"{document.type} {document.ref}" if document is not None else "后续过账"
            cert.status = Certification.OPEN
            cert.reopened_at = timezone.now()
            cert.reopen_document = document if getattr(document, "pk", None) else None
            cert.reopen_reason = (f"单据 {what} 改变了 {period_text(period)} 的数字：总账 {fmt_money(old['gl'])} → {fmt_money(f['gl'])}，"
                                  f"明细账 {fmt_money(old['sub'])} → {fmt_money(f['sub'])}，差异 {fmt_money(old['difference'])} → "
                                  f"{fmt_money(f['difference'])}")
            cert.save()
            _event(cert, "reopened", None, f"{STATUS_NAMES[was]} → 未签核。{cert.reopen_reason}", _figs_text(f), action="cert_reopen")
            from stockbook.notify import notify

            notify("reconcile.certification_reopened", recipients=owners,
                   title=f"对账签核被重新打开：{LEDGER_NAMES.get(cert.ledger, cert.ledger)} {cert.account} {period_text(period)}",
                   body=cert.reopen_reason, link=f"/cases/certification/?period={period_text(period)}",
                   payload={"pair": cert.pair_key, "period": period, "document": getattr(document, "pk", None)})
            reopened.append(cert.pair_key)
    return reopened


def is_past(period: int) -> bool:
    return period_end(period) < today()


def default_period() -> int:
    """The last finished month."""
    d = today().replace(day=1)
    prev = date.fromordinal(d.toordinal() - 1)
    return period_of(prev)
