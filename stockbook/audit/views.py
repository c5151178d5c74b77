"""审计日志 page: filters (user, action, object, time range), pagination, CSV/PDF export. Needs the
permission ``audit.view_auditentry`` (superusers have it)."""
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from stockbook.reports.base import CONTENT_TYPES

from . import export
from .actions import ACTIONS, action_label
from .chain import record
from .search import Filters, Results, parse_when

PAGE_SIZE = 50
PERM = "audit.view_auditentry"


def _filters(request):
    g = request.GET
    f = {k: g.get(k, "").strip() for k in ("user", "action", "object", "from", "to")}
    f["archived"] = g.get("archived") == "1"
    errors = []
    start = end = None
    for k in ("from", "to"):
        if f[k]:
            try:
                t = parse_when(f[k], end=(k == "to"))
            except ValueError:
                errors.append(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": f[k]})
                continue
            if k == "from":
                start = t
            else:
                end = t
    return f, Filters(user=f["user"], action=f["action"], object=f["object"], start=start, end=end, archived=f["archived"]), errors


@login_required
@permission_required(PERM, raise_exception=True)
def audit_log(request):
    f, flt, errors = _filters(request)
    results = Results(flt)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    for e in page:
        e.action_label = action_label(e.action)
        e.changes = export.changes(e)
        e.archived = getattr(e, "archived", False)
    return render(request, "audit/log.html", {
        "page": page, "f": f, "errors": errors, "actions": [(k, str(v)) for k, v in ACTIONS.items()],
    })


@login_required
@permission_required(PERM, raise_exception=True)
def audit_export(request, fmt):
    if fmt not in ("csv", "pdf"):
        raise Http404
    f, flt, errors = _filters(request)
    results = Results(flt)
    desc = flt.describe()
    if fmt == "csv":
        body = export.to_csv(results, desc).encode("utf-8")
    else:
        body = export.to_pdf(results, desc)
    record("export", object_type="audit.auditentry", object_repr=f"{fmt} export", remark=desc, request=request)
    resp = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = f'attachment; filename="audit-log-{timezone.localdate():%Y%m%d}.{fmt}"'
    return resp
