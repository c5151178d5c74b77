"""Stable error codes (interchange contract, section 6) and the one exception that carries them.

An error is a value: it travels unchanged to the CLI (a JSON line), the REST API (HTTP 422
``{"error": code, "message": ...}``) and the UI (a Chinese sentence).
"""

ERROR_CODES = {
    "negative_stock": "库存不足：数量会变为负数",
    "period_closed": "会计期间已结账或早于启用期间",
    "unknown_item": "存货不存在",
    "unknown_warehouse": "仓库不存在",
    "unknown_party": "往来单位不存在",
    "unknown_reference": "引用的单据或行不存在",
    "unknown_unit": "该存货未定义此计量单位",
    "unknown_account": "会计科目不存在",
    "unknown_cost": "无法确定成本",
    "duplicate_ref": "编号已存在且内容不同",
    "unbalanced": "借贷不平衡",
    "invalid_value": "数据格式或取值不正确",
    "return_exceeds_original": "退货数量超过原单可退数量",
    "return_exceeds_stock": "退货数量超过原入库批次结存",
    "invoice_exceeds_receipt": "开票数量超过入库数量",
    "invoice_exceeds_delivery": "开票数量超过出库数量",
    "credit_limit_exceeded": "超出客户信用额度",
    "pending_cost": "成本待月末计算，暂不能处理",
    "not_allowed": "没有权限执行此操作",
    "segregation_of_duties": "制单人不能审核或审批自己的单据或凭证",
    "invalid_channel": "通知通道配置不正确",
    "approval_required": "该单据需要审批，审批通过后才会过账",
    "not_approver": "您不是当前审批步骤的审批人",
    "signature_invalid": "电子签名无效：密码不正确",
    "approval_closed": "审批单已处理或已不在该审批步骤，请刷新后重试",
    # issue 7: orders, batches, red invoices (docs/decisions.md "Issue 7 error codes")
    "invalid_status": "单据当前状态不允许此操作",
    "over_receipt": "收货数量超过订单数量及允许的超收比例",
    "three_way_mismatch": "发票与采购订单、入库单的数量或价格不符（三单匹配未通过）",
    "insufficient_available": "可用库存不足（可用 = 现存量 − 已预留）",
    "reserved_by_other": "库存已被其他订单预留，不能出库",
    "unknown_batch": "批次不存在",
    "batch_expired": "批次已过期，不能出库",
    "batch_insufficient": "批次结存不足",
    "red_exceeds_original": "红字发票数量超过原发票可冲销数量",
}


class DocError(Exception):
    """A rejected document or request: ``code`` is one of ERROR_CODES, ``message`` a sentence for people."""

    def __init__(self, code: str, message: str | None = None, *, field: str | None = None, line: int | None = None):
        assert code in ERROR_CODES, code
        self.code = code
        self.field = field
        self.line = line  # 1-based line of the document the error is about, if any
        self.message = message or ERROR_CODES[code]
        super().__init__(f"{code}: {self.message}")

    def as_dict(self) -> dict:
        d = {"error": self.code, "message": self.message}
        if self.field:
            d["field"] = self.field
        if self.line is not None:
            d["doc_line"] = self.line
        return d
