"""外部对账 pages: upload → field mapping → result, and the history of runs.

The uploaded file waits between the upload and the mapping screen in a private temporary file (its name
kept in the session, removed after the run or after a day); the run itself goes through
service.run_wms / run_gl like the CLI and REST.
"""
import secrets
import tempfile
import time
from pathlib import Path

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from stockbook.access.policy import can_read_books
from stockbook.core.errors import DocError
from stockbook.posting.fields import parse_date
from stockbook.reports.base import Column, Report

from . import layouts
from .models import ExternalRun
from .service import (CAUSE_LABELS, RULE_LABELS, FileRejected, check_run_access, mappings, preview, resolve_mapping,
                      run_gl, run_result, run_wms, save_mapping, visible_runs)

MAX_AGE = 24 * 3600
SESSION_KEY = "external_upload"


def _upload_dir() -> Path:
    d = Path(tempfile.gettempdir()) / "stockbook-external"
    d.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    for p in d.iterdir():  # forget abandoned uploads
        try:
            if now - p.stat().st_mtime > MAX_AGE:
                p.unlink()
        except OSError:
            pass
    return d


def _kinds(user):
    out = [("wms", "WMS 库存对账")]
    if can_read_books(user):
        out.insert(0, ("gl", "总账凭证对账"))
    return out


def index(request):
    """The upload form and the history."""
    kinds = _kinds(request.user)
    ctx = {"kinds": kinds, "runs": visible_runs(request.user)[:50], "p": request.POST or {},
           "layouts": {k: layouts.layouts_of(k) for k, _ in kinds},
           "mappings": {k: list(mappings(k)) for k, _ in kinds}, "error": None, "cause_labels": CAUSE_LABELS}
    if request.method == "POST":
        return _upload(request, ctx)
    return render(request, "external/index.html", ctx)


def _upload(request, ctx):
    kind = request.POST.get("kind", "")
    f = request.FILES.get("file")
    if kind not in dict(ctx["kinds"]):
        denied = kind == "gl"
        ctx["error"] = "总账凭证对账需要查看账簿的权限（且不限仓库范围）" if denied else "请选择对账类型"
        return render(request, "external/index.html", ctx, status=403 if denied else 422)
    if f is None:
        ctx["error"] = "请选择要上传的文件"
        return render(request, "external/index.html", ctx, status=422)
    try:
        params = _params(request.POST, kind)
        data = b"".join(f.chunks())
        info = preview(data, kind, file_name=f.name, layout=request.POST.get("layout") or None, mapping=request.POST.get("mapping") or None)
    except (FileRejected, DocError) as e:
        ctx["error"] = e.message
        return render(request, "external/index.html", ctx, status=422)
    token = secrets.token_hex(16)
    (_upload_dir() / token).write_bytes(data)
    request.session[SESSION_KEY] = {"token": token, "kind": kind, "name": f.name[-255:], "params": params,
                                    "layout": info["layout"], "mapping_name": _mapping_name(kind, request.POST.get("mapping"))}
    return _mapping_screen(request, kind, info, params)


def _mapping_name(kind, v):
    if not v:
        return ""
    try:
        return resolve_mapping(kind, v)[1]
    except FileRejected:
        return ""


def _params(post, kind) -> dict:
    if kind == "wms":
        d = post.get("as_of", "").strip()
        if not d:
            raise FileRejected("请填写对账日期")
        parse_date(d, "as_of")
        return {"as_of": d, "warehouse": post.get("warehouse", "").strip()}
    d1, d2 = post.get("from", "").strip(), post.get("to", "").strip()
    if not d1 or not d2:
        raise FileRejected("请填写对账期间的开始和结束日期")
    if parse_date(d1, "from") > parse_date(d2, "to"):
        raise FileRejected("开始日期晚于结束日期")
    return {"from": d1, "to": d2}


def _mapping_screen(request, kind, info, params, error=None, status=200):
    fields = [(f, layouts.FIELD_LABELS[f], info["columns"].get(f, ""), f in layouts.required_of(kind)) for f in layouts.fields_of(kind)]
    return render(request, "external/mapping.html", {
        "kind": kind, "info": info, "fields": fields, "params": params, "error": error,
        "layouts": layouts.layouts_of(kind), "upload": request.session.get(SESSION_KEY, {}),
    }, status=status)


def run(request):
    """The mapping screen's submit: reconcile with the chosen columns, optionally save the mapping."""
    if request.method != "POST":
        return redirect("external:index")
    up = request.session.get(SESSION_KEY)
    path = _upload_dir() / up["token"] if up and up.get("token", "").isalnum() else None
    if up is None or path is None or not path.exists():
        messages.error(request, "上传的文件已失效，请重新上传")
        return redirect("external:index")
    kind = up["kind"]
    if kind not in dict(_kinds(request.user)):
        raise DocError("not_allowed", "您没有权限进行此类对账")
    data = path.read_bytes()
    chosen = {}
    for f in layouts.fields_of(kind):
        h = request.POST.get(f"col_{f}", "")
        if h:
            chosen[h] = f
    layout = request.POST.get("layout") or up.get("layout")
    try:
        if request.POST.get("save_mapping") and request.POST.get("mapping_name", "").strip():
            cm = save_mapping(kind, request.POST["mapping_name"], chosen, request.user)
            up["mapping_name"] = cm.name
        p = up["params"]
        if kind == "wms":
            out = run_wms(data, as_of=parse_date(p["as_of"], "as_of"), file_name=up["name"], user=request.user, layout=layout,
                          mapping=chosen or None, warehouse=p.get("warehouse") or None, save=True, source="web")
        else:
            out = run_gl(data, date_from=parse_date(p["from"], "from"), date_to=parse_date(p["to"], "to"), file_name=up["name"],
                         user=request.user, layout=layout, mapping=chosen or None, save=True, source="web")
    except FileRejected as e:
        try:
            info = preview(data, kind, file_name=up["name"], layout=layout, mapping=chosen or None)
        except FileRejected:
            messages.error(request, e.message)
            return redirect("external:index")
        return _mapping_screen(request, kind, info, up["params"], error=e.message, status=422)
    if up.get("mapping_name"):
        ExternalRun.objects.filter(pk=out["run"]).update(mapping_name=up["mapping_name"][:100])
    try:
        path.unlink()
    except OSError:
        pass
    request.session.pop(SESSION_KEY, None)
    return redirect("external:run_detail", pk=out["run"])


def _get_run(request, pk) -> ExternalRun:
    run = ExternalRun.objects.select_related("created_by").filter(pk=pk).first()
    if run is None:
        raise Http404("对账记录不存在")
    check_run_access(request.user, run)
    return run


def run_detail(request, pk):
    run = _get_run(request, pk)
    res = run_result(run)
    rows = [{**r, "cause_label": CAUSE_LABELS.get(r["cause"], r["cause"])} for r in res.get("rows", [])]
    matches = [{**m, "rule_label": RULE_LABELS.get(m["rule"], m["rule"])} for m in res.get("matches", [])]
    return render(request, "external/run.html", {"run": run, "res": res, "rows": rows, "matches": matches,
                                                 "errors": res.get("errors", []), "summary": res.get("summary", {}),
                                                 "layout_label": layouts.BY_KEY.get(run.layout).label if run.layout in layouts.BY_KEY else run.layout})


def report_of(run: ExternalRun) -> Report:
    res = run_result(run)
    if run.kind == "wms":
        cols = [Column("warehouse", "仓库"), Column("item", "物料编码"), Column("book_qty", "账面数量", "qty"),
                Column("external_qty", "外部数量", "qty"), Column("difference", "差异（账面−外部）", "qty"), Column("cause", "原因")]
        sub = f"截至 {res.get('as_of', '')}"
    else:
        cols = [Column("voucher", "本系统凭证"), Column("external_voucher", "外部凭证"), Column("account", "科目"),
                Column("book_amount", "账面金额", "money"), Column("external_amount", "外部金额", "money"),
                Column("difference", "差异（账面−外部）", "money"), Column("cause", "原因")]
        sub = f"{res.get('from', '')} 至 {res.get('to', '')}"
    rows = [{**r, "cause": CAUSE_LABELS.get(r["cause"], r["cause"])} for r in res.get("rows", [])]
    return Report("reconcile-external", f"外部对账 {run.file_name}", res, cols, rows, subtitle=sub)


def run_export(request, pk, fmt):
    from stockbook.access.policy import require

    if fmt not in ("csv", "xlsx"):
        raise Http404(fmt)
    run = _get_run(request, pk)
    require(request.user, "export")
    from stockbook.web.views.reports import export_response

    return export_response(report_of(run), fmt, ["reconcile-external", run.kind, str(run.pk)])


