"""Attribution rules: which cause a difference item belongs to, decided by its pattern.

A *difference item* (``Item`` in facts.py) is one document's (or one journal's, or one opening's) share of
a ledger pair's difference, with the features below. Rules (table ``Rule``) are tried in a fixed order —
``order``, then id — and the first whose conditions all hold names the cause; the item records that
rule's code and a sentence saying why, so an auditor can replay every attribution. No rule: the item
stays unexplained.

A condition is ``feature: value`` or ``feature: [value, ...]`` (any of); ``null`` matches a missing value.
"""
from dataclasses import dataclass

# feature → (中文说明, allowed values or None for free text)
FEATURES = {
    "source": ("总账来源：internal 本系统总账，external 外部财务系统导出", ["internal", "external"]),
    "ledger": ("对账项目", ["stock", "grni", "ar", "ap", "count", "transit"]),
    "side": ("差异形态：gl_only 只有总账有，sub_only 只有明细（业务）有，both 两边都有但金额不同",
             ["gl_only", "sub_only", "both"]),
    "direction": ("总账相对明细账：up 偏多，down 偏少", ["up", "down"]),
    "voucher_kind": ("凭证类别：journal 手工凭证，opening 期初，grni_reversal 暂估月初回冲（冲回、重估及到票全额入库）",
                     ["journal", "opening", "grni_reversal"]),
    "pending_cost": ("全月加权平均成本待结转", [True, False]),
    "doc_type": ("单据类型（purchase_receipt、sales_delivery、stock_count、purchase_invoice 等）", None),
    "doc_status": ("单据状态：posted 已过账，draft 草稿，pending 审批中，void 已作废，null 找不到单据",
                   ["posted", "draft", "pending", "void", None]),
    "invoiced": ("入库/出库单在对账日已全部开票", [True, False]),
    "settled": ("盘点单在对账日已处理", [True, False]),
    "timing": ("两边日期：same 同在对账日之前，gl_later 总账晚于对账日，gl_earlier 总账早于单据（单据在对账日之后）",
               ["same", "gl_later", "gl_earlier"]),
    "unit_ratio": ("两边金额之比正好是计量单位换算倍数", [True, False]),
    "duplicate": ("同一单据在总账出现多张凭证且金额成倍", [True, False]),
}

# the built-in rules, in their order (code, name, conditions, cause, action)
BUILTIN_RULES = [
    ("R010", "期初余额凭证与期初库存不一致", {"voucher_kind": "opening"}, "opening_mismatch", "核对期初库存与期初余额，补录期初调整"),
    ("R020", "全月加权平均存货尚未月末结账", {"pending_cost": True}, "pending_cost", "执行期末结账"),
    ("R030", "控制科目上的手工凭证", {"voucher_kind": "journal"}, "manual_journal", "冲销手工凭证，改用业务单据"),
    ("R040", "总账有、单据尚未过账（草稿或审批中）", {"doc_status": ["draft", "pending"]}, "unposted_document", "完成审批并过账"),
    ("R050", "同一单据在总账记了多次", {"duplicate": True}, "duplicate_entry", "冲销重复凭证"),
    ("R060", "两边金额之比为单位换算倍数", {"unit_ratio": True}, "unit_error", "按正确计量单位冲销重录"),
    ("R070", "财务已记存货、入库单在对账日之后（货在途）",
     {"timing": "gl_earlier", "doc_type": "purchase_receipt", "ledger": ["stock", "grni"]}, "in_transit", "货到后入库；月末转在途物资"),
    ("R080", "单据与凭证不在同一期间", {"timing": ["gl_later", "gl_earlier"]}, "cutoff", "把凭证调整到单据所属期间"),
    ("R090", "已入库、财务未按发票记账", {"side": "sub_only", "doc_type": "purchase_receipt", "invoiced": False},
     "uninvoiced_receipt", "催要发票或暂估入账"),
    ("R100", "已出库、财务未开票结转成本", {"side": "sub_only", "doc_type": "sales_delivery", "invoiced": False},
     "uninvoiced_delivery", "开票并结转成本"),
    ("R110", "盘点已调库存、尚未处理", {"side": "sub_only", "doc_type": "stock_count", "settled": False},
     "unsettled_count", "审批并录入盘点处理单"),
    ("R120", "采购发票价差已调库存、总账未记", {"side": "sub_only", "doc_type": "purchase_invoice", "ledger": "stock"},
     "price_difference_unposted", "总账补记价差"),
    ("R130", "已过账单据的凭证未传到财务系统", {"side": "sub_only", "doc_status": "posted", "source": "external"},
     "not_transferred", "重新传递凭证"),
    ("R140", "总账减少、库存未变：发货只在财务记账",
     {"side": "gl_only", "direction": "down", "ledger": "stock", "doc_status": None, "source": "external"},
     "external_only", "补录销售出库单，或冲销财务凭证"),
    ("R150", "财务系统有、本系统找不到单据", {"side": "gl_only", "doc_status": None, "source": "external"},
     "external_only", "确认是否漏录单据"),
    ("R160", "暂估月初回冲：已冲回、尚未重新暂估", {"voucher_kind": "grni_reversal"}, "grni_reversal", "月末结账时自动重新暂估"),
]


def matches(conditions: dict, features: dict) -> bool:
    for k, want in conditions.items():
        have = features.get(k)
        if isinstance(want, list):
            if have not in want:
                return False
        elif have != want:
            return False
    return True


@dataclass
class LoadedRule:
    code: str
    name: str
    conditions: dict
    cause: str
    action: str


def active_rules() -> list[LoadedRule]:
    from .models import Rule

    if not Rule.objects.exists():  # a flushed test database: put the built-in rules back
        from .service import ensure_kb

        ensure_kb()
    return [LoadedRule(r.code, r.name, r.conditions, r.cause_id, r.action)
            for r in Rule.objects.filter(active=True, proposed=False).order_by("order", "id")]


def first_match(rules: list[LoadedRule], features: dict) -> LoadedRule | None:
    for r in rules:
        if matches(r.conditions, features):
            return r
    return None


def validate_conditions(conditions) -> list[str]:
    """Problems with a rule's conditions, as sentences for the rule editor (empty: fine)."""
    if not isinstance(conditions, dict) or not conditions:
        return ["条件必须是非空的 JSON 对象，例如 {\"side\": \"gl_only\"}"]
    out = []
    for k, v in conditions.items():
        if k not in FEATURES:
            out.append(f"未知的条件字段：{k}")
            continue
        allowed = FEATURES[k][1]
        for x in (v if isinstance(v, list) else [v]):
            if allowed is not None and x not in allowed:
                out.append(f"条件 {k} 不接受取值 {x!r}")
    return out
