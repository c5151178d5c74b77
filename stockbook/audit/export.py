"""Audit log as a table: terminal, CSV and PDF through the report framework (stockbook.reports.base)."""
import json

from django.utils import timezone
from django.utils.translation import gettext as _

from stockbook.reports.base import Column, Report, render_csv, render_pdf, render_table

from .actions import action_label

PDF_MAX_ROWS = 5000


def _loads(text: str):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def changes(e, limit: int | None = None) -> str:
    """'field: before → after; …' for people."""
    before, after = _loads(e.before), _loads(e.after)
    if isinstance(before, dict) or isinstance(after, dict):
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        parts = []
        for k in sorted(set(b) | set(a)):
            if k in b and k in a:
                parts.append(f"{k}: {_short(b[k])} → {_short(a[k])}")
            elif k in a:
                parts.append(f"{k}: {_short(a[k])}")
            else:
                parts.append(f"{k}: {_short(b[k])} → —")
        s = "; ".join(parts)
    else:
        s = " → ".join(_short(x) for x in (before, after) if x is not None)
    if limit and len(s) > limit:
        s = s[:limit - 1] + "…"
    return s


def _short(v) -> str:
    if v is None:
        return "∅"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def rows_of(entries, *, full: bool, limit: int | None = None):
    out = []
    for n, e in enumerate(entries):
        if limit is not None and n >= limit:
            break
        r = {"seq": e.seq, "at": local(e.at), "user": e.username, "ip": e.ip, "action": action_label(e.action),
             "object": e.object_repr, "remark": e.remark}
        if full:
            r.update(action_code=e.action, user_id="" if e.user_id is None else e.user_id, object_type=e.object_type,
                     object_id=e.object_id, before=e.before, after=e.after, hash=e.hash,
                     archived=getattr(e, "archive_file", "") or "")
        else:
            r["changes"] = changes(e, 400)
        out.append(r)
    return out


def report(entries, *, full: bool, subtitle: str = "", limit: int | None = None) -> Report:
    cols = [Column("seq", _("Seq")), Column("at", _("Time")), Column("user", _("User")), Column("ip", _("IP address")),
            Column("action", _("Action")), Column("object", _("Object"))]
    if full:
        cols += [Column("action_code", _("Action code")), Column("user_id", _("User id")), Column("object_type", _("Object type")),
                 Column("object_id", _("Object id")), Column("before", _("Before")), Column("after", _("After")),
                 Column("remark", _("Remark")), Column("hash", _("Hash")), Column("archived", _("Archive file"))]
    else:
        cols += [Column("changes", _("Changes")), Column("remark", _("Remark"))]
    rows = rows_of(entries, full=full, limit=limit)
    return Report(name="audit-log", title=_("Audit log"), data={"entries": rows}, columns=cols, rows=rows, subtitle=subtitle)


def to_csv(entries, subtitle="") -> str:
    return render_csv(report(entries, full=True, subtitle=subtitle))


def to_pdf(entries, subtitle="") -> bytes:
    entries = list(_take(entries, PDF_MAX_ROWS + 1))
    if len(entries) > PDF_MAX_ROWS:
        subtitle = (subtitle + "  " if subtitle else "") + _("first %(n)s entries only; narrow the search or export CSV") % {"n": PDF_MAX_ROWS}
        entries = entries[:PDF_MAX_ROWS]
    return render_pdf(report(entries, full=False, subtitle=subtitle))


def to_table(entries) -> str:
    return render_table(report(entries, full=False))


def to_json_lines(entries) -> str:
    out = []
    for e in entries:
        out.append(json.dumps({"seq": e.seq, "at": e.at.isoformat(), "user": e.username, "user_id": e.user_id, "ip": e.ip,
                               "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
                               "object": e.object_repr, "before": _loads(e.before), "after": _loads(e.after),
                               "remark": e.remark, "hash": e.hash, "archived": bool(getattr(e, "archived", False))},
                              ensure_ascii=False))
    return "".join(line + "\n" for line in out)


def _take(it, n):
    for i, x in enumerate(it):
        if i >= n:
            return
        yield x
