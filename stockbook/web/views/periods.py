"""Periods (会计期间): status list, close the next open month (post period_close), reopen the latest closed one."""
from django.contrib import messages
from django.db.models import Count, Max, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stockbook.core.errors import DocError
from stockbook.ledger.models import Period, Voucher
from stockbook.masterdata.models import Company
from stockbook.posting.fields import period_str
from stockbook.posting.service import post

from .common import current_open_period, month_range, next_month


def periods(request):
    company = Company.current()
    if company is None:
        return render(request, "web/periods.html", {"company": None})
    rows = {p.period: p for p in Period.objects.select_related("closed_by")}
    stats = {r["period"]: r for r in Voucher.objects.values("period").annotate(n=Count("id"), total=Sum("debit_total"))}
    open_p = current_open_period()
    last = max([open_p, *rows.keys(), *stats.keys()])
    out, p = [], company.start_period
    while p <= last:
        row = rows.get(p)
        st = stats.get(p, {})
        out.append({"period": p, "label": period_str(p), "closed": bool(row and row.status == Period.CLOSED), "row": row,
                    "vouchers": st.get("n", 0), "total": st.get("total") or 0,
                    "first": month_range(p)[0], "last": month_range(p)[1]})
        p = next_month(p)
    closed = [r["period"] for r in out if r["closed"]]
    earlier = Voucher.objects.filter(period__lt=company.start_period).aggregate(n=Count("id"), m=Max("period"))
    return render(request, "web/periods.html", {
        "company": company, "rows": list(reversed(out)), "open_period": open_p, "open_label": period_str(open_p),
        "last_closed": period_str(max(closed)) if closed else None, "openings": earlier["n"],
    })


@require_POST
def period_close(request):
    p = current_open_period()
    if p is None:
        return redirect("web:periods")
    label = period_str(p)
    if request.POST.get("period") != label:
        messages.error(request, _("The page was out of date; please check the period and try again."))
        return redirect("web:periods")
    doc = {"type": "period_close", "ref": f"JZ-CLOSE-{label}-{timezone.now():%Y%m%d%H%M%S%f}",
           "date": month_range(p)[1].isoformat(), "period": label}
    try:
        post(doc, user=request.user, source="web")
    except DocError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Period %(p)s closed.") % {"p": label})
    return redirect("web:periods")


@require_POST
def period_reopen(request):
    """反结账 is an approved action: this asks for it (checked at once); the final approval reopens."""
    from stockbook.approvals.actions import request_reopen

    label = request.POST.get("period", "")
    try:
        req = request_reopen(label, request.user, request.POST.get("reason", ""))
    except DocError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Reopening %(p)s was submitted for approval (request %(n)s).") % {"p": label, "n": req.pk})
    return redirect("web:periods")
