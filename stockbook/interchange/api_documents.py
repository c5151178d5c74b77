"""POST /api/documents and GET /api/documents/{type}/{ref}: the interchange contract over HTTP.

The body is one interchange document (a JSON object, contract sections 2–3), parsed without floats and
posted through ``post()``, the one write path: 201 posted, 200 duplicate (identical content already
posted), 422 ``{"error": code, "message", "field"?, "line"?}`` when rejected (nothing is written).
"""
import json

from ninja import Router

from stockbook.core.errors import DocError
from stockbook.posting.models import Document
from stockbook.posting.service import ALL_TYPES, MASTER_TYPES, post, ref_of

from .api_common import IDEMPOTENCY_PARAM, check_text, idempotent, json_response, not_found, read_json_body, run_write

router = Router(tags=["documents"])

DOCUMENT_SCHEMA = {
    "type": "object",
    "description": "One interchange document (contract v1.2 sections 2–3). Numbers travel as JSON strings.",
    "required": ["type"],
    "properties": {
        "type": {"type": "string", "enum": sorted(ALL_TYPES)},
        "ref": {"type": "string"},
        "code": {"type": "string"},
        "date": {"type": "string", "example": "2026-01-15"},
        "time": {"type": "string", "example": "09:30:00"},
        "lines": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
    "example": {"type": "journal", "ref": "J-0001", "date": "2026-01-15", "memo": "提现",
                "lines": [{"account": "1001", "debit": "500.00"}, {"account": "1002", "credit": "500.00"}]},
}

RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["posted", "duplicate", "pending"]},
        "approval": {"type": "integer", "description": "pending: the approval request; posted when approved"},
        "type": {"type": "string"},
        "ref": {"type": ["string", "null"]},
        "id": {"type": ["integer", "null"]},
        "vouchers": {"type": "array", "items": {"type": "string", "example": "记-2026-01-0001"}},
        "warnings": {"type": "array", "items": {"type": "string"}, "description": "Posted, but worth a look (e.g. a quantity 100× off the item's usual: wrong unit?)"},
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"},
                   "line": {"type": "integer"}},
}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def voucher_numbers(doc) -> list[str]:
    if doc is None:
        return []
    from stockbook.posting.sync import vouchers_of

    return [v.display_number for v in vouchers_of(doc.pk)]


def document_identity(typ: str, ref: str) -> str:
    return "company" if typ == "company" else f"{typ}:{ref}"


def post_and_respond(obj, request) -> "HttpResponse":  # noqa: F821
    res = post(obj, user=request.auth, source="api")
    if res.status == "pending":  # waiting for approval (docs/approvals.md): nothing posted yet
        return json_response({"status": "pending", "approval": res.approval.pk, "type": obj.get("type"), "ref": ref_of(obj),
                              "id": None, "vouchers": [], "warnings": res.warnings}, 202)
    body = {
        "status": res.status,
        "type": obj.get("type"),
        "ref": ref_of(obj),
        "id": res.document.pk if res.document is not None else None,
        "vouchers": [v.display_number for v in res.vouchers] if res.posted else voucher_numbers(res.document),
        "warnings": res.warnings,
    }
    return json_response(body, 201 if res.posted else 200)


@router.post(
    "/documents",
    summary="Post one document (interchange format)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": DOCUMENT_SCHEMA}}},
        "responses": {
            201: _json(RESULT_SCHEMA, "Posted"),
            200: _json(RESULT_SCHEMA, "Duplicate: identical content already posted"),
            202: _json(RESULT_SCHEMA, "Pending: waiting for approval (nothing posted yet)"),
            422: _json(ERROR_SCHEMA, "Rejected; nothing written"),
        },
        "parameters": [IDEMPOTENCY_PARAM],
    },
)
def create_document(request):
    def fn():
        return post_and_respond(read_json_body(request, want_object=False), request)

    return idempotent(request, lambda: run_write(fn))


PRICE_KEYS = {"unit_price", "amount", "tax", "tax_rate", "unit_cost", "credit_limit", "allocations", "debit", "credit"}


def _strip(obj, keys):
    if isinstance(obj, dict):
        return {k: _strip(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, list):
        return [_strip(v, keys) for v in obj]
    return obj


def document_json(doc, user=None) -> dict:
    """The document as posted; for a user without view_price without its prices and amounts, without
    voucher numbers for one who may not see the books."""
    from stockbook.access import policy

    try:
        obj = json.loads(doc.canonical)
    except ValueError:  # pragma: no cover - canonical is always JSON
        obj = {}
    if not isinstance(obj, dict):  # pragma: no cover
        obj = {"value": obj}
    if not policy.sees_price(user):
        obj = _strip(obj, PRICE_KEYS)
    obj["id"] = doc.pk
    obj["status"] = doc.status
    obj["vouchers"] = voucher_numbers(doc) if policy.can(user, "view_books") else []
    return obj


@router.get(
    "/documents/{type}/{path:ref}",
    summary="A posted document as posted, with id, status and voucher numbers",
    openapi_extra={"responses": {404: _json(ERROR_SCHEMA, "No such document")}},
)
def get_document(request, type: str, ref: str):
    check_text(type, ref)
    from stockbook.posting.grni import GENERATED

    if type not in ALL_TYPES and type not in GENERATED:
        raise DocError("invalid_value", f"未知的单据类型：{type!r}", field="type")
    if type in GENERATED:  # written by a close under 月初回冲 (never posted by anyone): found by type and ref
        doc = Document.objects.filter(type=type, ref=ref).order_by("-id").first()
    else:
        doc = Document.objects.filter(identity=document_identity(type, ref)).first()
    if doc is None or (type == "company" and json.loads(doc.canonical).get("code") != ref):
        what = "编码" if type in MASTER_TYPES else "编号"
        return not_found(f"{type} {what} {ref} 不存在")
    from stockbook.access import policy

    if type not in MASTER_TYPES and not policy.can_see_document(request.auth, doc):
        raise DocError("not_allowed", "该单据不在您的数据范围内或您没有查看单据的权限")
    return json_response(document_json(doc, request.auth))
