"""REST of 库存控制: ``GET /api/invctl/{safety|dead|abc|turnover}`` with the CLI's parameters as query
strings (``warehouse``, dead: ``months``, ``as_of``; abc/turnover: ``from``, ``to``; abc: ``a``, ``b``;
turnover: ``group``) → the report JSON (same as ``stockbook invctl … --format json``). view_stock_reports,
warehouse scope, money only with view_cost; errors 422 {"error", "message"}."""
from ninja import Router

from stockbook.interchange.api_common import check_text, json_response

router = Router(tags=["invctl"])


@router.get("/invctl/{name}", summary="库存控制报表：safety / dead / abc / turnover")
def invctl_report(request, name: str):
    from stockbook.core.errors import DocError

    from .cli import params
    from .reports import REPORTS

    if name not in REPORTS:
        raise DocError("invalid_value", "报表应为 safety、dead、abc 或 turnover", field="name")
    g = request.GET
    check_text(*g.values())
    alias = {"start": "from", "end": "to"}
    rep = REPORTS[name](request.auth, **params(name, lambda k: g.get(alias.get(k, k)) or None))
    return json_response(rep.data)
