"""Account roles: posting rules name a role, the company's chart maps it to a code (contract section 4).
Every code a document posts to comes from here; ``account_for(role, chart)`` is the only lookup."""

ROLES = {
    # role: (small_enterprise, enterprise)
    "cash": ("1001", "1001"),
    "bank": ("1002", "1002"),
    "inventory": ("1405", "1405"),  # default inventory account of an item
    "materials": ("1403", "1403"),
    "ar": ("1122", "1122"),
    "ar_invoiced": ("112201", "112201"),
    "ar_uninvoiced": ("112202", "112202"),
    "ap": ("2202", "2202"),
    "ap_invoiced": ("220201", "220201"),
    "advances_received": ("2203", "2203"),  # 预收账款 (prepayments, docs/contract-extensions.md)
    "advances_paid": ("1123", "1123"),  # 预付账款
    "grni": ("220202", "220202"),
    "vat_input": ("222101", "222101"),
    "vat_output": ("222102", "222102"),
    "count_pending": ("1901", "1901"),
    "revenue": ("5001", "6001"),
    "cogs": ("5401", "6401"),
    "count_gain": ("5301", "6602"),
    "count_loss": ("5711", "6602"),
    "scrap": ("5711", "6711"),
    "non_operating_income": ("5301", "6301"),
    "non_operating_expense": ("5711", "6711"),
    "paid_in_capital": ("3001", "4001"),
    "current_year_profit": ("3103", "4103"),
}

ROLE_NAMES = {
    "cash": "库存现金", "bank": "银行存款", "inventory": "库存商品", "materials": "原材料", "ar": "应收账款",
    "ar_invoiced": "应收账款-已开票", "ar_uninvoiced": "应收账款-未开票", "ap": "应付账款",
    "ap_invoiced": "应付账款-已开票", "advances_received": "预收账款", "advances_paid": "预付账款", "grni": "应付账款-暂估",
    "vat_input": "进项税额", "vat_output": "销项税额",
    "count_pending": "待处理财产损溢", "revenue": "主营业务收入", "cogs": "主营业务成本", "count_gain": "盘盈处理",
    "count_loss": "盘亏处理", "scrap": "报废损失", "non_operating_income": "营业外收入",
    "non_operating_expense": "营业外支出", "paid_in_capital": "实收资本", "current_year_profit": "本年利润",
}

# Accounts whose balance a subledger explains: manual journals on them are what reconcile reports.
CONTROL_ROLES = ("inventory", "materials", "ar", "ap_invoiced", "grni")


def account_for(role: str, chart: str) -> str:
    small, enterprise = ROLES[role]
    return enterprise if chart == "enterprise" else small
