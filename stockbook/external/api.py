"""REST: external reconciliation (外部对账).

- ``POST /api/reconcile-external/wms`` (multipart: ``file``, ``as_of``, optional ``warehouse``, ``layout``,
  ``mapping`` = a saved mapping's name/id or a JSON object {header: field}) and
  ``POST /api/reconcile-external/gl`` (``file``, ``from``, ``to``, …): reconcile and save the run; 200 with
  the result JSON (``run`` = its id). A file that is not a table or lacks a required column: 422
  ``{"error", "message"}``, nothing saved.
- ``GET /api/reconcile-external/runs`` (``kind``, ``limit``, ``offset``) and ``GET …/runs/{id}``.
- ``GET /api/reconcile-external/mappings?kind=gl|wms``.
Rights: ``reconcile``; gl runs also need the books (view_books + view_cost, no warehouse scope); a scoped
user's wms run only covers their warehouses.
"""
import json

from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from stockbook.core.errors import DocError
from stockbook.interchange.api_common import error_response, json_response, not_found
from stockbook.posting.fields import parse_date

from .models import ExternalRun
from .service import FileRejected, check_run_access, mappings, run_gl, run_result, run_wms, visible_runs

router = Router(tags=["reconcile-external"])


def _date(v, key):
    if v is None or str(v).strip() == "":
        raise DocError("invalid_value", f"缺少参数 {key}", field=key)
    return parse_date(str(v).strip(), key)


def _mapping(v):
    if not v:
        return None
    v = v.strip()
    if v.startswith("{"):
        try:
            m = json.loads(v)
        except ValueError:
            m = None
        if not isinstance(m, dict):
            raise DocError("invalid_value", "mapping 不是有效的 JSON 对象", field="mapping")
        return m
    return v


def _rejected(e: FileRejected):
    return error_response(e.code, e.message, 422)


@router.post("/reconcile-external/wms", summary="Reconcile a WMS stock export (csv/xlsx) against the books as of a date")
def post_wms(request, file: UploadedFile = File(...), as_of: str = Form(...), warehouse: str = Form(""),
             layout: str = Form(""), mapping: str = Form("")):
    d = _date(as_of, "as_of")
    try:
        out = run_wms(file, as_of=d, file_name=file.name or "", user=request.auth, layout=layout or None,
                      mapping=_mapping(mapping), warehouse=warehouse or None, save=True, source="api")
    except FileRejected as e:
        return _rejected(e)
    return json_response(out)


@router.post("/reconcile-external/gl", summary="Reconcile an external voucher export (金蝶/用友/generic) against Stockbook's vouchers")
def post_gl(request, file: UploadedFile = File(...), start: str = Form(..., alias="from"), end: str = Form(..., alias="to"),
            layout: str = Form(""), mapping: str = Form("")):
    d1, d2 = _date(start, "from"), _date(end, "to")
    try:
        out = run_gl(file, date_from=d1, date_to=d2, file_name=file.name or "", user=request.auth, layout=layout or None,
                     mapping=_mapping(mapping), save=True, source="api")
    except FileRejected as e:
        return _rejected(e)
    return json_response(out)


def _ser(run: ExternalRun) -> dict:
    return {"id": run.pk, "kind": run.kind, "layout": run.layout, "mapping_name": run.mapping_name, "file_name": run.file_name,
            "sha256": run.sha256, "params": run.params, "created_by": run.created_by.get_username() if run.created_by_id else None,
            "created_at": run.created_at.isoformat(), "source": run.source, "rows_read": run.rows_read, "rows_bad": run.rows_bad,
            "differences": run.differences}


@router.get("/reconcile-external/runs", summary="Saved external reconciliation runs, newest first")
def list_runs(request, kind: str | None = Query(None, pattern="^(gl|wms)$"), limit: int = Query(50, ge=1, le=500),
              offset: int = Query(0, ge=0, le=1_000_000)):
    from stockbook.access.policy import require

    require(request.auth, "reconcile")
    qs = visible_runs(request.auth, kind)
    return json_response({"count": qs.count(), "items": [_ser(r) for r in qs[offset:offset + limit]]})


@router.get("/reconcile-external/runs/{int:run_id}", summary="One saved run with its result and per-row errors")
def get_run(request, run_id: int):
    run = ExternalRun.objects.filter(pk=run_id).first() if run_id < 2**63 else None
    if run is None:
        return not_found(f"对账记录 {run_id} 不存在")
    check_run_access(request.auth, run)
    return json_response({**_ser(run), "result": run_result(run)})


@router.get("/reconcile-external/mappings", summary="Column mappings (built-in and saved) for gl or wms files")
def list_mappings(request, kind: str = Query(..., pattern="^(gl|wms)$")):
    from stockbook.access.policy import require

    require(request.auth, "reconcile")
    return json_response({"items": [{"id": m.pk, "name": m.name, "kind": m.kind, "builtin": m.builtin, "layout": m.layout,
                                     "mapping": m.mapping} for m in mappings(kind)]})
