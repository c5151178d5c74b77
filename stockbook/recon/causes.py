"""The built-in knowledge base of difference causes (原因库): code, name, what it means, the usual fix.

Seeded into the ``Cause`` table after migrate (``ensure_kb``); users may add their own causes and edit the
texts in the UI, the codes of the built-in ones stay stable (they are what reports and rules refer to).
"""

# code: (中文名, English name, explanation, typical fix)
BUILTIN = {
    "manual_journal": ("手工凭证", "Manual journal",
                       "有人直接在控制科目上录了手工凭证，总账变了而明细账（库存、往来单据）没有变。",
                       "用业务单据代替手工凭证：冲销该凭证，补录对应的入库、出库或往来单据。"),
    "opening_mismatch": ("期初不一致", "Opening mismatch",
                         "科目期初余额与期初库存（或期初往来）金额不一致，差异从建账时就存在。",
                         "核对期初库存表与期初科目余额表，补录期初调整。"),
    "unposted_document": ("未过账单据", "Unposted document",
                          "业务上已发生（已审批或待审批）的单据尚未过账，没有凭证和库存变动。",
                          "完成审批并过账该单据，或作废它。"),
    "pending_cost": ("成本待结转", "Cost pending",
                     "全月一次加权平均存货的出库成本要到月末结账才确定，结账前账面按上月单价暂计。",
                     "执行期末结账（全月加权平均成本计算）。"),
    "uninvoiced_receipt": ("已入库未开票", "Received, not invoiced",
                           "货已入库、库存已增加，但财务按发票记账，发票未到，总账没有这笔存货。",
                           "催要发票，或按单到补差做暂估入账。"),
    "uninvoiced_delivery": ("已出库未开票", "Delivered, not invoiced",
                            "货已出库、库存已减少，但财务在开票时才结转成本，总账仍挂着这批存货。",
                            "及时开票，或出库时即结转成本（发出商品）。"),
    "unsettled_count": ("盘点未处理", "Count not settled",
                        "盘点差异已调整库存并挂在待处理财产损溢（1901），尚未经审批处理转入损益。",
                        "审批并录入盘点处理单。"),
    "in_transit": ("在途", "In transit",
                   "财务已按发票记入存货，货物尚未到仓入库（或调拨已发出未到达），两边时点不同。",
                   "货到后入库；月末余额转入在途物资（1402）。"),
    "cutoff": ("跨期", "Cut-off",
               "同一张单据在业务系统和总账中记在了不同的会计期间。",
               "把凭证日期改到单据所属期间（冲销后重录），或调整单据日期。"),
    "unit_error": ("计量单位错误", "Unit error",
                   "差异正好是计量单位换算倍数（如吨与公斤差 1000 倍），一边按错误单位录入。",
                   "按正确单位冲销重录，并检查单位换算设置。"),
    "price_difference_unposted": ("价差未入账", "Price difference not posted",
                                  "采购发票与入库暂估的价差已调整库存成本（单到补差），总账没有记这笔价差。",
                                  "在总账补记发票价差（借存货 贷应付暂估）。"),
    "duplicate_entry": ("重复记账", "Duplicate entry",
                        "同一张单据在总账中记了两次（或两次导入）。",
                        "冲销重复的凭证。"),
    "external_only": ("仅外部有", "External only",
                      "外部财务系统中有这笔分录，但在本系统找不到对应的单据或凭证。",
                      "确认是否漏录单据；若是财务直接记账，补录业务单据或冲销。"),
    "not_transferred": ("未传递", "Not transferred",
                        "本系统已过账的单据凭证没有传递（导入）到外部财务系统。",
                        "把该凭证重新传递（引入）到财务系统。"),
    "grni_reversal": ("暂估月初回冲", "GRNI reversed at month start",
                      "公司按月初回冲处理暂估（docs/contract-extensions.md §4）：上月末未开票入库的暂估已于本月 1 日红字冲回，"
                      "本月到票按发票全额记入存货；月中存货科目与应付账款-暂估比明细账少了已冲回、尚未重新暂估的金额"
                      "（上月结账前已按全额入账的发票则相反）。月末结账时对仍未开票的部分重新暂估，差异归零。",
                      "无需处理：本月结账时自动重新暂估；若要月中相符，改用单到补差（仅能在启用前设置）。"),
    # the WMS stock list's causes (stockbook/external/wms.py)
    "missing_in_books": ("账上没有", "Missing in the books",
                         "WMS 有库存，账上该仓库没有这个物料。", "核对是否漏录入库或调拨单。"),
    "missing_in_external": ("WMS 没有", "Missing in the WMS",
                            "账上有库存，WMS 导出里没有这一行。", "核对 WMS 是否漏记或已出库未过账。"),
    "quantity_difference": ("数量差异", "Quantity difference",
                            "账面数量与 WMS 数量不同，且不是单位换算或待过账单据能解释的。", "盘点确认后录入盘点单。"),
    # the voucher-by-voucher comparison of an external ledger (stockbook/external/gl.py)
    "amount_mismatch": ("金额不一致", "Amount mismatch",
                        "外部凭证与本系统凭证对上了，但金额不同。", "核对两边凭证，冲销错误的一方。"),
    "account_mismatch": ("科目不一致", "Account mismatch",
                         "外部凭证与本系统凭证对上了，但记在不同科目。", "调整外部凭证的科目。"),
}

# suggested action shown with a part when no rule gives its own
def fix_of(code: str) -> str:
    return BUILTIN.get(code, ("", "", "", ""))[3]


def name_of(code: str) -> str:
    return BUILTIN.get(code, (code,))[0]
