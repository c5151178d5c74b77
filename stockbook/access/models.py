"""Who may do what (capabilities = Django permissions of this app, granted to role groups) and where
(a user's data scope: regions and warehouses)."""
from django.conf import settings
from django.db import models

# codename → Chinese name; the roles that get each by default are in roles.py
CAPABILITIES = {
    "view_documents": "查看单据",
    "doc_purchase": "采购单据（入库、退货）",
    "order_purchase": "请购与采购订单",
    "quality_check": "到货质检",
    "doc_sales": "销售单据（出库、退货）",
    "order_sales": "报价与销售订单",
    "doc_invoice": "发票（采购发票、销售发票）",
    "doc_stock": "库存单据（调拨、盘点、报废、期初库存）",
    "doc_cash": "收付款与盘点处理",
    "view_stock_reports": "查看库存报表",
    "view_books": "查看账簿、凭证与对账",
    "voucher_make": "录入凭证",
    "voucher_audit": "审核凭证",
    "period_close": "期末结账",
    "period_reopen": "反结账",
    "manage_master": "维护基础资料",
    "manage_accounts": "维护会计科目与公司设置",
    "manage_access": "维护角色、用户与数据范围",
    "view_price": "查看单价与金额",
    "view_cost": "查看成本、库存金额与毛利",
    "approve": "审批",
    "reconcile": "对账：差异工单与外部对账",
    "certify": "对账复核签核",
    "manage_recon_rules": "维护对账规则、原因库与阈值",
    "export": "导出报表",
}


class Scope(models.Model):
    """A user's data scope. No row, or a row with no region and no warehouse: every warehouse."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scope")
    regions = models.ManyToManyField("masterdata.Region", blank=True, verbose_name="区域")
    warehouses = models.ManyToManyField("masterdata.Warehouse", blank=True, verbose_name="仓库")

    class Meta:
        verbose_name = verbose_name_plural = "数据范围"
        default_permissions = ()
        permissions = sorted(CAPABILITIES.items())

    def __str__(self):
        return f"{self.user}"
