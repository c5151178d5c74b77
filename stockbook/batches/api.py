"""REST of 批次与效期 (docs/batches.md):

- ``GET /api/batches?item=&warehouse=&stock=1`` → batches with their balances;
- ``GET /api/batches/trace?item=&batch=`` → the trace (same JSON as ``stockbook batch trace``);
- ``GET /api/batches/serial?item=&serial=`` → a serial's history;
- ``GET /api/batches/alerts?warehouse=&days=&today=`` → near-expiry and expired batches with stock;
- ``GET /api/batches/check`` → differences Σ batch balances vs stock ([] when all agree);
- ``GET /api/batches/fefo?item=&warehouse=&qty=&date=`` → the FEFO split an issue would take;
- ``GET /api/batches/document/{id}`` → the batches of each line of a document;
- ``GET /api/batch-policies/{item}``, ``PUT /api/batch-policies/{item}`` {batch_managed, serial_managed,
  shelf_life_days, near_expiry_days} (manage_master).
Reading needs view_stock_reports (documents: view_documents), warehouse scope applies; errors 422 {"error","message"}."""
from datetime import date

from ninja import Router

from stockbook.access.policy import can_see_document, require, warehouse_ids
from stockbook.core.errors import DocError
from stockbook.interchange.api_common import check_text, json_response, not_found, read_json_body

from .models import Batch, BatchBalance, ItemPolicy
from .service import _q

router = Router(tags=["batches"])


@router.get("/batches", summary="Batches with balances")
def list_batches(request, item: str = "", warehouse: str = "", stock: int = 1, limit: int = 200, offset: int = 0):
    require(request.auth, "view_stock_reports")
    check_text(item, warehouse)
    if not (1 <= limit <= 1000) or offset < 0:
        raise DocError("invalid_value", "limit 应在 1–1000 之间，offset 不能为负", field="limit")
    qs = Batch.objects.select_related("item", "supplier").order_by("item__code", "expiry", "code")
    if item:
        qs = qs.filter(item__code=item)
    bal = BatchBalance.objects.filter(qty__gt=0)
    scope = warehouse_ids(request.auth)
    if scope is not None:
        bal = bal.filter(warehouse_id__in=scope)
    if warehouse:
        bal = bal.filter(warehouse__code=warehouse)
    if stock or warehouse:
        qs = qs.filter(pk__in=bal.values("batch_id"))
    page = list(qs[offset:offset + limit])
    per = {}
    for b in bal.filter(batch_id__in=[x.pk for x in page]).select_related("warehouse"):
        per.setdefault(b.batch_id, []).append({"warehouse": b.warehouse.code, "qty": _q(b.qty)})
    return json_response({"count": qs.count(), "results": [
        {"item": b.item.code, "batch": b.code, "expiry": b.expiry.isoformat() if b.expiry else None,
         "production_date": b.production_date.isoformat() if b.production_date else None,
         "supplier": b.supplier.code if b.supplier_id else None, "balances": per.get(b.pk, [])} for b in page]})


@router.get("/batches/trace", summary="批次追溯")
def trace_batch(request, item: str, batch: str):
    from .queries import trace

    check_text(item, batch)
    return json_response(trace(item, batch, request.auth))


@router.get("/batches/serial", summary="序列号追溯")
def trace_serial(request, item: str, serial: str):
    from .queries import serial_trace

    check_text(item, serial)
    return json_response(serial_trace(item, serial, request.auth))


@router.get("/batches/alerts", summary="近效期与过期批次")
def expiry_alerts(request, warehouse: str = "", days: int | None = None, today: date | None = None):
    from .queries import alerts

    check_text(warehouse)
    rows = alerts(request.auth, warehouse=warehouse or None, days=days, today=today)
    for r in rows:
        r.pop("batch_id", None)
    return json_response({"count": len(rows), "results": rows})


@router.get("/batches/check", summary="Σ batch balances against stock")
def batch_check(request):
    from .service import check

    require(request.auth, "view_stock_reports")
    return json_response(check())


@router.get("/batches/fefo", summary="FEFO split of an issue")
def fefo(request, item: str, warehouse: str, qty: str, on: date | None = None):
    from stockbook.access.policy import check_warehouse
    from stockbook.core.money import fmt_qty, parse_qty, to_qty_units
    from stockbook.masterdata.models import Item, Warehouse

    from .service import fefo_pick

    require(request.auth, "view_stock_reports")
    check_text(item, warehouse, qty)
    it = Item.objects.filter(code=item).first()
    if it is None:
        raise DocError("unknown_item", f"存货 {item} 不存在", field="item")
    wh = Warehouse.objects.filter(code=warehouse).first()
    if wh is None:
        raise DocError("unknown_warehouse", f"仓库 {warehouse} 不存在", field="warehouse")
    check_warehouse(request.auth, wh.pk)
    picks = fefo_pick(it, wh, to_qty_units(parse_qty(qty)), on or date.today())
    return json_response([{"batch": b, "qty": fmt_qty(q)} for b, q in picks])


@router.get("/batches/document/{doc_id}", summary="Batches of a document's lines")
def document_batches(request, doc_id: int):
    from stockbook.posting.models import Document

    from .service import line_batches

    doc = Document.objects.filter(pk=doc_id).first()
    if doc is None or not can_see_document(request.auth, doc):
        return not_found(f"单据 {doc_id} 不存在")
    return json_response({"document": doc.pk, "type": doc.type, "ref": doc.ref,
                          "lines": [{"line": n, "batches": v} for n, v in sorted(line_batches(doc).items())]})


def _policy_json(item, pol):
    return {"item": item.code, "batch_managed": bool(pol and pol.batch_managed), "serial_managed": bool(pol and pol.serial_managed),
            "shelf_life_days": pol.shelf_life_days if pol else None, "near_expiry_days": pol.near_expiry_days if pol else 30}


def _item(code):
    from stockbook.masterdata.models import Item

    check_text(code)
    it = Item.objects.filter(code=code).first()
    if it is None:
        raise DocError("unknown_item", f"存货 {code} 不存在", field="item")
    return it


@router.get("/batch-policies/{item}", summary="An item's batch policy")
def get_policy(request, item: str):
    require(request.auth, "view_stock_reports")
    it = _item(item)
    return json_response(_policy_json(it, ItemPolicy.objects.filter(item=it).first()))


@router.put("/batch-policies/{item}", summary="Set an item's batch policy")
def put_policy(request, item: str):
    require(request.auth, "manage_master")
    it = _item(item)
    body = read_json_body(request)
    from .service import set_policy

    kw = {}
    for k in ("batch_managed", "serial_managed"):
        if k in body:
            if not isinstance(body[k], bool):
                raise DocError("invalid_value", f"{k} 必须是 true 或 false", field=k)
            kw[k] = body[k]
    for k in ("shelf_life_days", "near_expiry_days"):
        if k in body:
            v = body[k]
            if v is None and k == "shelf_life_days":
                kw[k] = None
                continue
            if not isinstance(v, int) or isinstance(v, bool) or not (0 <= v <= 36500):
                raise DocError("invalid_value", f"{k} 必须是 0 至 36500 的整数", field=k)
            kw[k] = v
    return json_response(_policy_json(it, set_policy(it, **kw)))
