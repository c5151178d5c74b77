"""REST of the company's 暂估处理方式 (docs/contract-extensions.md §4): ``GET /api/company/grni-method`` →
{"grni_method", "changeable", "reason"}; ``POST /api/company/grni-method`` {"grni_method": "difference"|"reversal"}
→ the same, or 422 {"error": "invalid_value", "message"} (nothing written). Needs manage_accounts, like the page."""
from ninja import Router

from stockbook.interchange.api_common import json_response

router = Router(tags=["company"])


def _state():
    from stockbook.masterdata.models import Company

    from . import grni

    c = Company.current()
    why = grni.change_blocker()
    return {"grni_method": c.grni_method if c else None, "name": grni.METHODS.get(c.grni_method) if c else None,
            "changeable": c is not None and why is None, "reason": why}


@router.get("/company/grni-method", summary="暂估处理方式：单到补差 difference / 月初回冲 reversal")
def get_grni_method(request):
    from stockbook.access.policy import require

    require(request.auth, "manage_accounts")
    return json_response(_state())


@router.post("/company/grni-method", summary="设置暂估处理方式（只能在第一张采购入库单和第一次结账之前）")
def set_grni_method(request):
    import json

    from stockbook.access.policy import require
    from stockbook.core.errors import DocError

    from . import grni

    require(request.auth, "manage_accounts")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise DocError("invalid_value", "请求体必须是 JSON 对象") from None
    if not isinstance(body, dict):
        raise DocError("invalid_value", "请求体必须是 JSON 对象")
    grni.set_method(body.get("grni_method"), user=request.auth)
    return json_response(_state())
