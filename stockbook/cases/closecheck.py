"""月末结账检查: what blocks a clean close of a period — open difference cases, unposted documents (drafts
and pending approvals), monthly-average costs not closed, stock counts without a settlement, ledger pairs
not certified. Shared by ``stockbook close-check``, the checklist page and ``GET /api/close-check``."""
import json
from django.urls import reverse

from stockbook.core.money import fmt_money

from .models import Case, Certification
from .service import LEDGER_NAMES, period_end, period_text

KINDS = [
    ("open_cases", "未结差异工单"),
    ("unposted_documents", "未过账单据（草稿、审批中）"),
    ("pending_costs", "成本待结转（全月加权平均未结账）"),
    ("unsettled_counts", "盘点未处理"),
    ("uncertified_pairs", "对账未签核"),
]


def _open_cases(period, end, pairs, user):
    from .service import visible

    qs = visible(user, Case.objects.filter(period__lte=period, status__in=Case.ACTIVE)).order_by("period", "id")
    return [{"ref": f"#{c.pk}", "link": f"/cases/{c.pk}/", "title": c.title, "status": c.get_status_display(),
             "amount": fmt_money(c.amount), "period": period_text(c.period), "due": c.due.isoformat()} for c in qs]


def _unposted(period, end, pairs, user):
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.posting.models import Document

    out = []
    for d in Document.objects.filter(status=Document.DRAFT, date__lte=end).order_by("date", "id").values("id", "type", "ref", "date"):
        out.append({"ref": d["ref"] or f"#{d['id']}", "link": reverse("web:document_detail", args=[d["id"]]), "type": d["type"],
                    "date": d["date"].isoformat() if d["date"] else None, "status": "草稿"})
    for r in ApprovalRequest.objects.filter(status=ApprovalRequest.PENDING).order_by("id"):
        try:
            dt = json.loads(r.payload).get("date")
        except (ValueError, AttributeError):
            dt = None
        if isinstance(dt, str) and dt[:7] > period_text(period):
            continue  # dated after the period
        out.append({"ref": r.ref or f"审批#{r.pk}", "link": f"/approvals/{r.pk}/", "type": r.doc_type, "date": dt,
                    "status": "审批中" if r.kind == ApprovalRequest.KIND_DOCUMENT else f"审批中（{r.get_kind_display()}）"})
    return out


def _pending_costs(period, end, pairs, user):
    """Monthly-average items whose period is not closed: the engine's pending_cost parts at the period end,
    and each such item with stock (stock.models) listed."""
    from stockbook.ledger.models import Period
    from stockbook.masterdata.models import Company, Item

    company = Company.current()
    if company is None or period < company.start_period:
        return []
    if Period.objects.filter(period=period, status=Period.CLOSED).exists():
        return []
    monthly = [i for i in Item.objects.select_related("state").order_by("code")
               if getattr(i, "state", None) is not None and i.state.method == "monthly_average"]
    out = []
    amounts = {}
    for p in pairs:
        for part in p.get("causes", []):
            if part["cause"] == "pending_cost":
                amounts[p["account"]] = part["amount"]
    for i in monthly:
        out.append({"ref": i.code, "link": reverse("web:periods"), "name": i.name,
                    "account": i.account.code if i.account_id else "",
                    "pending_amount": amounts.get(i.account.code if i.account_id else "", "0.00")})
    return out


def _unsettled_counts(period, end, pairs, user):
    from stockbook.posting.models import Document

    settled = Document.objects.filter(type="count_settlement", status=Document.POSTED, date__lte=end).values("ref_document_id")
    qs = (Document.objects.filter(type="stock_count", status=Document.POSTED, date__lte=end).exclude(id__in=settled)
          .order_by("date", "id").values("id", "ref", "date"))
    return [{"ref": d["ref"], "link": reverse("web:document_detail", args=[d["id"]]), "date": d["date"].isoformat()} for d in qs]


def _uncertified(period, end, pairs, user):
    certs = {c.pair_key: c for c in Certification.objects.filter(period=period)}
    out = []
    for p in pairs:
        c = certs.get(p["key"])
        if c is not None and c.status == Certification.CERTIFIED:
            continue
        out.append({"ref": p["key"], "link": f"/cases/certification/?period={period_text(period)}",
                    "title": f"{LEDGER_NAMES.get(p['ledger'], p['ledger'])} {p['account']} {p.get('name', '')}".strip(),
                    "status": c.get_status_display() if c else "未签核", "difference": p["difference"]})
    return out


CHECKS = {"open_cases": _open_cases, "unposted_documents": _unposted, "pending_costs": _pending_costs,
          "unsettled_counts": _unsettled_counts, "uncertified_pairs": _uncertified}


def close_check(period: int, user=None, pairs=None) -> dict:
    """{"report": "close-check", "period", "clean", "blockers": [{kind, title, count, items: [{ref, link, ...}]}],
    "checks": [every kind with its count, blockers or not]}."""
    from stockbook.recon.service import current

    end = period_end(period)
    if pairs is None:
        pairs = current(end)["data"]
    from .certify import auto_certify

    auto_certify(period, pairs_json=pairs)  # a finished period's pairs at 0.00 without open cases certify themselves
    checks = []
    for kind, title in KINDS:
        items = CHECKS[kind](period, end, pairs, user)
        checks.append({"kind": kind, "title": title, "count": len(items), "items": items})
    blockers = [c for c in checks if c["count"]]
    return {"report": "close-check", "period": period_text(period), "as_of": end.isoformat(), "clean": not blockers,
            "blockers": blockers, "checks": [{"kind": c["kind"], "title": c["title"], "count": c["count"], "ok": not c["count"]}
                                             for c in checks]}


def table(report: dict) -> str:
    lines = [f"结账检查 {report['period']}（期末 {report['as_of']}）：{'可以结账 ✔' if report['clean'] else '有阻碍 ✘'}"]
    by = {b["kind"]: b for b in report["blockers"]}
    for c in report["checks"]:
        lines.append(f"{'✔' if c['ok'] else '✘'} {c['title']}：{c['count']}")
        for it in by.get(c["kind"], {}).get("items", []):
            extra = " ".join(str(it[k]) for k in ("title", "type", "status", "amount", "difference", "date") if it.get(k))
            lines.append(f"    {it['ref']}  {extra}  {it['link']}")
    return "\n".join(lines)

