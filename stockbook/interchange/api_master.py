"""Master data over REST: /api/warehouses, /api/items, /api/suppliers, /api/customers, /api/accounts.

- GET list (``?q=`` code/name search, ``?active=``, ``limit``/``offset``) and GET one by code.
- POST creates through ``post()`` (body: the interchange line without ``type``), so REST and import agree on
  validation and duplicates.
- PATCH edits the fields that carry no accounting meaning (name, contact, safety stock, active, ...);
  codes, units, tax rates and accounts are fixed once documents may refer to them.
- DELETE deletes a record nothing refers to, else disables it: ``{"result": "deleted" | "disabled"}``.
Money is written with two decimals, quantities without trailing zeros.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from django.db import transaction
from django.db.models import ProtectedError, Q
from ninja import Query, Router

from stockbook.core.errors import DocError
from stockbook.core.jsonio import JFloat
from stockbook.core.money import fmt_money, fmt_qty, parse_money, parse_qty, to_fen, to_qty_units
from stockbook.ledger.models import Account
from stockbook.masterdata.models import Customer, Item, Region, Supplier, Warehouse
from stockbook.posting.service import retire

from .api_common import IDEMPOTENCY_PARAM, check_text, error_response, idempotent, json_response, not_found, read_json_body, run_write
from .api_documents import ERROR_SCHEMA, _json, post_and_respond

router = Router(tags=["master data"])


def _num(d) -> str | None:
    if d is None:
        return None
    d = Decimal(d)
    return format(d.normalize(), "f") if d != d.to_integral_value() else str(d.quantize(Decimal(1)))


# -- serializers ----------------------------------------------------------------------------------------

def ser_warehouse(w):
    return {"code": w.code, "name": w.name, "active": w.active, "region": w.region.name if w.region else None,
            "address": w.address}


def ser_item(i):
    return {
        "code": i.code, "name": i.name, "active": i.active, "spec": i.spec, "uom": i.uom,
        "units": {u.name: _num(u.factor) for u in i.units.all()},
        "barcodes": [b.code for b in i.barcodes.all()],
        "tax_rate": _num(i.tax_rate), "account": i.account.code, "costing_method": i.costing_method or None,
        "category": i.category.code if i.category else None,
        "safety_min": fmt_qty(i.safety_min) if i.safety_min is not None else None,
        "safety_max": fmt_qty(i.safety_max) if i.safety_max is not None else None,
    }


def ser_party(p):
    d = {"code": p.code, "name": p.name, "active": p.active, "tax_id": p.tax_id, "contact": p.contact,
         "phone": p.phone, "address": p.address, "payment_terms": p.payment_terms,
         "region": p.region.name if p.region else None}
    if isinstance(p, Customer):
        d["credit_limit"] = fmt_money(p.credit_limit) if p.credit_limit is not None else None
    return d


def ser_account(a):
    return {"code": a.code, "name": a.name, "parent": a.parent.code if a.parent else None, "level": a.level,
            "category": a.category, "direction": a.direction, "active": a.active, "builtin": a.builtin,
            "dimensions": a.dimensions}


# -- field editors for PATCH ------------------------------------------------------------------------------

def _str(key, max_len, required=False):
    def edit(rec, v):
        if v is None:
            if required:
                raise DocError("invalid_value", f"{key} 不能为空", field=key)
            v = ""
        if not isinstance(v, str) or isinstance(v, JFloat):
            raise DocError("invalid_value", f"{key} 必须是字符串", field=key)
        if required and not v.strip():
            raise DocError("invalid_value", f"{key} 不能为空", field=key)
        if len(v) > max_len or "\x00" in v:
            raise DocError("invalid_value", f"{key} 过长或含非法字符", field=key)
        setattr(rec, key, v)
    return edit


def _active(rec, v):
    if not isinstance(v, bool):
        raise DocError("invalid_value", "active 必须是 true 或 false", field="active")
    rec.active = v


def _region(rec, v):
    if v is None or v == "":
        rec.region = None
        return
    if not isinstance(v, str) or isinstance(v, JFloat) or len(v) > 100 or "\x00" in v or not v.strip():
        raise DocError("invalid_value", "region 必须是区域名称字符串", field="region")
    rec.region, _ = Region.objects.get_or_create(code=v, defaults={"name": v})


def _payment_terms(rec, v):
    if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 3650):
        raise DocError("invalid_value", "payment_terms 必须是 0 到 3650 之间的整数（天）", field="payment_terms")
    rec.payment_terms = v


def _credit_limit(rec, v):
    rec.credit_limit = None if v is None else to_fen(parse_money(v, "credit_limit", allow_zero=True))


def _safety(key):
    def edit(rec, v):
        setattr(rec, key, None if v is None else to_qty_units(parse_qty(v, key, allow_zero=True)))
    return edit


def _check_item(rec):
    if rec.safety_min is not None and rec.safety_max is not None and rec.safety_min > rec.safety_max:
        raise DocError("invalid_value", "安全库存下限不能大于上限", field="safety_max")


def _check_account(rec):
    if rec.builtin and not rec.active:
        raise DocError("invalid_value", "预置科目不能停用", field="active")


PARTY_EDITS = {"name": _str("name", 200, True), "active": _active, "tax_id": _str("tax_id", 32),
               "contact": _str("contact", 100), "phone": _str("phone", 50), "address": _str("address", 200),
               "payment_terms": _payment_terms, "region": _region}


@dataclass
class Resource:
    plural: str
    type: str
    model: type
    serialize: Callable
    edits: dict
    related: tuple = ()
    check: Callable | None = None
    search: tuple = ("code", "name")
    extra: dict = field(default_factory=dict)


RESOURCES = [
    Resource("warehouses", "warehouse", Warehouse, ser_warehouse,
             {"name": _str("name", 200, True), "active": _active, "address": _str("address", 200), "region": _region},
             related=("region",)),
    Resource("items", "item", Item, ser_item,
             {"name": _str("name", 200, True), "active": _active, "spec": _str("spec", 200),
              "safety_min": _safety("safety_min"), "safety_max": _safety("safety_max")},
             related=("account", "category"), check=_check_item, search=("code", "name", "spec")),
    Resource("suppliers", "supplier", Supplier, ser_party, PARTY_EDITS, related=("region",)),
    Resource("customers", "customer", Customer, ser_party, dict(PARTY_EDITS, credit_limit=_credit_limit),
             related=("region",)),
    Resource("accounts", "account", Account, ser_account, {"active": _active}, related=("parent",),
             check=_check_account),
]


def _get(res: Resource, code: str):
    check_text(code)
    qs = res.model.objects.select_related(*res.related)
    if res.model is Item:
        qs = qs.prefetch_related("units", "barcodes")
    return qs.filter(code=code).first()


def _delete(res: Resource, rec) -> str:
    """Delete if nothing refers to the record, else disable it."""
    with transaction.atomic():
        if isinstance(rec, Account):
            if rec.builtin:
                raise DocError("invalid_value", "预置科目不能删除", field="code")
            try:
                with transaction.atomic():
                    rec.delete()
                retire(f"account:{rec.code}")
                result = "deleted"
            except ProtectedError:
                Account.objects.filter(pk=rec.pk).update(active=False)
                result = "disabled"
        else:
            result = rec.safe_delete()
    return result  # a deleted record's code can be created again: post() retires its old identity


def _register(res: Resource):
    one = f"/{res.plural}/{{path:code}}"
    label = res.plural

    @router.get(f"/{res.plural}", summary=f"List {label}", operation_id=f"list_{label}", url_name=f"{label}_list")
    def list_view(request, q: str | None = None, active: bool | None = None,
                  limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=1_000_000_000)):
        check_text(q)
        qs = res.model.objects.select_related(*res.related)
        if res.model is Item:
            qs = qs.prefetch_related("units", "barcodes")
        if q:
            cond = Q()
            for f in res.search:
                cond |= Q(**{f"{f}__icontains": q})
            qs = qs.filter(cond)
        if active is not None:
            qs = qs.filter(active=active)
        if res.model is Warehouse:
            from stockbook.access.policy import visible_warehouses

            qs = visible_warehouses(request.auth, qs)
        qs = qs.order_by("code")
        return json_response({"count": qs.count(), "items": [res.serialize(r) for r in qs[offset:offset + limit]]})

    @router.get(one, summary=f"One of {label} by code", operation_id=f"get_{res.type}", url_name=f"{res.type}_detail",
                openapi_extra={"responses": {404: _json(ERROR_SCHEMA, "No such code")}})
    def get_view(request, code: str):
        rec = _get(res, code)
        if rec is not None and res.model is Warehouse:
            from stockbook.access.policy import visible_warehouses

            if not visible_warehouses(request.auth, Warehouse.objects.filter(pk=rec.pk)).exists():
                rec = None
        if rec is None:
            return not_found(f"{res.type} 编码 {code} 不存在")
        return json_response(res.serialize(rec))

    body_schema = {"type": "object", "required": ["code", "name"], "additionalProperties": True,
                   "description": f"The interchange `{res.type}` line (contract section 2) without `type`.",
                   "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}

    @router.post(f"/{res.plural}", summary=f"Create one of {label} (through post())", operation_id=f"create_{res.type}",
                 openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}},
                                "responses": {422: _json(ERROR_SCHEMA, "Rejected")}, "parameters": [IDEMPOTENCY_PARAM]})
    def create_view(request):
        def fn():
            obj = read_json_body(request)
            if obj.get("type") is not None and obj.get("type") != res.type:
                raise DocError("invalid_value", f"type 必须是 {res.type}", field="type")
            obj = {"type": res.type, **{k: v for k, v in obj.items() if k != "type"}}
            resp = post_and_respond(obj, request)
            rec = _get(res, obj["code"])
            if rec is None:  # pragma: no cover - post() created it or raised
                return resp
            body = {"status": "posted" if resp.status_code == 201 else "duplicate", **res.serialize(rec)}
            return json_response(body, resp.status_code)

        return idempotent(request, lambda: run_write(fn))

    patch_schema = {"type": "object", "additionalProperties": False,
                    "properties": {k: {} for k in res.edits}}

    @router.patch(one, summary=f"Edit one of {label}: {', '.join(res.edits)}", operation_id=f"update_{res.type}",
                  openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": patch_schema}}},
                                 "responses": {404: _json(ERROR_SCHEMA, "No such code"), 422: _json(ERROR_SCHEMA, "Rejected")},
                                 "parameters": [IDEMPOTENCY_PARAM]})
    def patch_view(request, code: str):
        def fn():
            rec = _get(res, code)
            if rec is None:
                return not_found(f"{res.type} 编码 {code} 不存在")
            obj = read_json_body(request)
            for k, v in obj.items():
                edit = res.edits.get(k)
                if edit is None:
                    return error_response("invalid_value", f"字段 {k} 不能修改（可修改：{', '.join(res.edits)}）", field=k)
                edit(rec, v)
            if res.check:
                res.check(rec)
            rec.save()
            return json_response(res.serialize(_get(res, code)))

        return idempotent(request, lambda: run_write(fn))

    @router.delete(one, summary=f"Delete one of {label} (disabled instead when referenced)", operation_id=f"delete_{res.type}",
                   openapi_extra={"responses": {404: _json(ERROR_SCHEMA, "No such code")}, "parameters": [IDEMPOTENCY_PARAM]})
    def delete_view(request, code: str):
        def fn():
            rec = _get(res, code)
            if rec is None:
                return not_found(f"{res.type} 编码 {code} 不存在")
            return json_response({"result": _delete(res, rec)})

        return idempotent(request, lambda: run_write(fn))


for _res in RESOURCES:
    _register(_res)
