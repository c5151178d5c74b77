"""Vouchers, reports and periods over REST.

- GET /api/vouchers (``period=YYYY-MM``, ``account`` (and its sub-accounts), ``date_from``, ``date_to``,
  ``limit``/``offset``) and GET /api/vouchers/{id} with its lines.
- GET /api/reports/{name}: ``format=json`` returns exactly the contract shape (section 5); csv, xlsx, pdf
  and table come as files.
- GET /api/periods, POST /api/periods/{period}/reopen (反结账, needs the ``ledger.change_period`` permission).
"""
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from ninja import Query, Router

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money
from stockbook.ledger.models import Account, Period, Voucher, VoucherLine
from stockbook.posting.fields import parse_date, parse_period, period_str

from .api_common import IDEMPOTENCY_PARAM, check_text, idempotent, json_response, not_found, run_write
from .api_documents import ERROR_SCHEMA, _json

router = Router()


def _date(v, key):
    if v is None or v == "":
        return None
    check_text(v)
    return parse_date(v, key)


def ser_voucher(v, lines=False):
    d = {
        "id": v.pk, "number": v.display_number, "date": v.date.isoformat(), "period": period_str(v.period),
        "kind": v.kind, "memo": v.memo,
        "document": {"id": v.document_id, "type": v.document.type, "ref": v.document.ref} if v.document_id else None,
        "debit_total": fmt_money(v.debit_total), "credit_total": fmt_money(v.credit_total),
        "maker": v.created_by.get_username() if v.created_by_id else None,
        "audited_by": v.audited_by.get_username() if v.audited_by_id else None,
    }
    if lines:
        d["lines"] = [
            {
                "line_no": ln.line_no, "account": ln.account.code, "account_name": ln.account.name,
                "debit": fmt_money(ln.debit), "credit": fmt_money(ln.credit), "summary": ln.summary,
                "customer": ln.customer.code if ln.customer_id else None,
                "supplier": ln.supplier.code if ln.supplier_id else None,
                "item": ln.item.code if ln.item_id else None,
                "warehouse": ln.warehouse.code if ln.warehouse_id else None,
                "doc_line": ln.doc_line,
                "corrects": ln.corrects_id,
            }
            for ln in v.lines.select_related("account", "customer", "supplier", "item", "warehouse").order_by("line_no")
        ]
    return d


@router.get("/vouchers", tags=["ledger"], summary="Vouchers (凭证) in date and number order, with filters")
def list_vouchers(request, period: str | None = None, account: str | None = None, date_from: str | None = None,
                  date_to: str | None = None, limit: int = Query(100, ge=1, le=1000),
                  offset: int = Query(0, ge=0, le=1_000_000_000)):
    check_text(period, account)
    _books_reader(request)
    qs = Voucher.objects.select_related("document")
    if period:
        qs = qs.filter(period=parse_period(period, "period"))
    d1, d2 = _date(date_from, "date_from"), _date(date_to, "date_to")
    if d1:
        qs = qs.filter(date__gte=d1)
    if d2:
        qs = qs.filter(date__lte=d2)
    if account:
        acc = Account.objects.filter(code=account).first()
        if acc is None:
            raise DocError("unknown_account", f"会计科目 {account} 不存在", field="account")
        qs = qs.filter(Exists(VoucherLine.objects.filter(voucher=OuterRef("pk"), account__code__startswith=acc.code)))
    qs = qs.order_by("date", "word", "period", "number")
    return json_response({"count": qs.count(), "items": [ser_voucher(v) for v in qs[offset:offset + limit]]})


@router.get("/vouchers/{int:voucher_id}", tags=["ledger"], summary="One voucher with its lines",
            openapi_extra={"responses": {404: _json(ERROR_SCHEMA, "No such voucher")}})
def get_voucher(request, voucher_id: int):
    _books_reader(request)
    v = Voucher.objects.select_related("document").filter(pk=voucher_id).first() if voucher_id < 2**63 else None
    if v is None:
        return not_found(f"凭证 {voucher_id} 不存在")
    return json_response(ser_voucher(v, lines=True))


def _books_reader(request):
    """Vouchers are the books (stockbook.access.policy.require_books)."""
    from stockbook.access.policy import require_books

    require_books(request.auth)


EXT = {"csv": "csv", "xlsx": "xlsx", "pdf": "pdf", "table": "txt"}


@router.get("/reports/{name}", tags=["reports"],
            summary="A report: trial-balance (from, to), stock-balance / reconcile (as_of), general-ledger, detail-ledger",
            openapi_extra={"responses": {422: _json(ERROR_SCHEMA, "Bad parameters")}})
def get_report(request, name: str, start: str | None = Query(None, alias="from"), end: str | None = Query(None, alias="to"),
               as_of: str | None = None, account: str | None = None, customer: str | None = None,
               supplier: str | None = None, item: str | None = None, warehouse: str | None = None,
               format: str = Query("json", pattern="^(json|table|csv|xlsx|pdf)$")):
    from stockbook.reports.base import CONTENT_TYPES, render
    from stockbook.reports.registry import build_report

    check_text(name, account, customer, supplier, item, warehouse)
    params = {"as_of": _date(as_of, "as_of"), "start": _date(start, "from"), "end": _date(end, "to"),
              "account": account or None, "customer": customer or None, "supplier": supplier or None,
              "item": item or None, "warehouse": warehouse or None}
    if format != "json":
        from stockbook.access.policy import require

        require(request.auth, "export")
    rep = build_report(name, params, user=request.auth)
    out = render(rep, format)
    resp = HttpResponse(out, content_type=CONTENT_TYPES[format])
    if format in EXT:
        suffix = (params["as_of"] or params["end"] or "").__str__()
        fname = f"{name}{'-' + suffix if suffix else ''}.{EXT[format]}"
        disp = "inline" if format == "table" else "attachment"
        resp["Content-Disposition"] = f'{disp}; filename="{fname}"'
    return resp


@router.post("/vouchers/{int:voucher_id}/audit", tags=["ledger"], summary="审核 a voucher (not by its maker)",
             openapi_extra={"responses": {403: _json(ERROR_SCHEMA, "Not allowed"), 422: _json(ERROR_SCHEMA, "Rejected")},
                            "parameters": [IDEMPOTENCY_PARAM]})
def audit(request, voucher_id: int):
    from stockbook.ledger.audit import audit_voucher

    def fn():
        return json_response(ser_voucher(audit_voucher(voucher_id, request.auth)))

    return idempotent(request, lambda: run_write(fn))


@router.post("/vouchers/{int:voucher_id}/unaudit", tags=["ledger"], summary="反审核 a voucher (with a reason)",
             openapi_extra={"responses": {403: _json(ERROR_SCHEMA, "Not allowed"), 422: _json(ERROR_SCHEMA, "Rejected")},
                            "parameters": [IDEMPOTENCY_PARAM]})
def unaudit(request, voucher_id: int, reason: str = ""):
    from stockbook.ledger.audit import unaudit_voucher

    def fn():
        check_text(reason)
        return json_response(ser_voucher(unaudit_voucher(voucher_id, request.auth, reason)))

    return idempotent(request, lambda: run_write(fn))


def ser_period(p):
    return {"period": period_str(p.period), "status": p.status,
            "closed_at": p.closed_at.isoformat() if p.closed_at else None,
            "closed_by": p.closed_by.username if p.closed_by_id else None}


@router.get("/periods", tags=["ledger"], summary="Accounting periods and their status")
def list_periods(request):
    from stockbook.masterdata.models import Company
    from stockbook.posting.books import Books
    from stockbook.posting.handlers.period import next_open_period

    c = Company.current()
    body = {"start_period": c.start_period_str if c else None,
            "next_to_close": period_str(next_open_period(Books())) if c else None,
            "items": [ser_period(p) for p in Period.objects.select_related("closed_by").order_by("period")]}
    return json_response(body)


@router.post("/periods/{period}/reopen", tags=["ledger"],
             summary="Ask to reopen (反结账) the latest closed period: an approved action (202 pending)",
             openapi_extra={"responses": {202: _json({"type": "object"}, "Submitted for approval"),
                                          403: _json(ERROR_SCHEMA, "Not allowed"), 422: _json(ERROR_SCHEMA, "Rejected")},
                            "parameters": [IDEMPOTENCY_PARAM]})
def reopen(request, period: str, reason: str = ""):
    from stockbook.approvals.actions import request_reopen

    def fn():
        check_text(period, reason)
        req = request_reopen(period, request.auth, reason)
        return json_response({"status": "pending", "approval": req.pk, "period": period}, 202)

    return idempotent(request, lambda: run_write(fn))
