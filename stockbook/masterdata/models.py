"""Master data: the company, warehouses, items with their units, suppliers and customers.

Codes are unique. A record that documents refer to is never deleted, only disabled (``active=False``):
foreign keys from documents use PROTECT, and ``safe_delete`` turns a refused delete into a disable.
"""
from django.db import models
from django.db.models import ProtectedError

CHARTS = [("small_enterprise", "小企业会计准则"), ("enterprise", "企业会计准则")]
COSTING_METHODS = [("fifo", "先进先出法"), ("moving_average", "移动加权平均法"), ("monthly_average", "全月一次加权平均法")]


class MasterData(models.Model):
    code = models.CharField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    def safe_delete(self) -> str:
        """Delete if nothing refers to the record, else disable it. Returns 'deleted' or 'disabled'."""
        try:
            self.delete()
        except ProtectedError:
            self.active = False
            self.save(update_fields=["active", "updated_at"])
            return "disabled"
        from stockbook.posting.service import retire  # the code may be created again

        retire(f"{self._meta.model_name}:{self.code}")
        return "deleted"


GRNI_METHODS = [("difference", "单到补差"), ("reversal", "月初回冲")]


class Company(models.Model):
    code = models.CharField("编码", max_length=64)
    name = models.CharField("公司名称", max_length=200)
    chart = models.CharField("会计准则", max_length=32, choices=CHARTS, default="small_enterprise")
    costing_method = models.CharField("存货计价方法", max_length=32, choices=COSTING_METHODS, default="moving_average")
    start_period = models.IntegerField("启用期间")  # YYYYMM
    currency = models.CharField("本位币", max_length=3, default="CNY")
    tax_id = models.CharField("纳税人识别号", max_length=32, blank=True)
    # 暂估处理方式 (docs/contract-extensions.md §4): "difference" 单到补差 (the contract) or "reversal" 月初回冲
    grni_method = models.CharField("暂估处理方式", max_length=16, choices=GRNI_METHODS, default="difference", db_default="difference")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "公司"

    def __str__(self):
        return self.name

    @property
    def start_period_str(self):
        return f"{self.start_period // 100:04d}-{self.start_period % 100:02d}"

    @classmethod
    def current(cls):
        return cls.objects.order_by("id").first()


class Region(models.Model):
    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "区域"

    def __str__(self):
        return self.name


class Warehouse(MasterData):
    region = models.ForeignKey(Region, verbose_name="区域", null=True, blank=True, on_delete=models.PROTECT)
    address = models.CharField("地址", max_length=200, blank=True)

    class Meta(MasterData.Meta):
        verbose_name = verbose_name_plural = "仓库"


class Category(MasterData):
    parent = models.ForeignKey("self", verbose_name="上级分类", null=True, blank=True, on_delete=models.PROTECT)
    product_line = models.CharField("产品线", max_length=100, blank=True)

    class Meta(MasterData.Meta):
        verbose_name = verbose_name_plural = "存货分类"


class Item(MasterData):
    spec = models.CharField("规格型号", max_length=200, blank=True)
    category = models.ForeignKey(Category, verbose_name="分类", null=True, blank=True, on_delete=models.PROTECT)
    uom = models.CharField("基本单位", max_length=20)
    tax_rate = models.DecimalField("税率", max_digits=6, decimal_places=4, null=True, blank=True)
    account = models.ForeignKey("ledger.Account", verbose_name="存货科目", on_delete=models.PROTECT)
    costing_method = models.CharField("计价方法", max_length=32, choices=COSTING_METHODS, blank=True)
    safety_min = models.BigIntegerField("安全库存下限(1/10000)", null=True, blank=True)
    safety_max = models.BigIntegerField("安全库存上限(1/10000)", null=True, blank=True)

    class Meta(MasterData.Meta):
        verbose_name = verbose_name_plural = "存货"

    def effective_costing_method(self, company=None):
        return self.costing_method or (company or Company.current()).costing_method


class ItemUnit(models.Model):
    """A conversion unit: ``factor`` base units make one ``name`` (吨 = 1000 公斤)."""

    item = models.ForeignKey(Item, related_name="units", on_delete=models.CASCADE)
    name = models.CharField("单位", max_length=20)
    factor = models.DecimalField("换算率", max_digits=20, decimal_places=6)

    class Meta:
        unique_together = [("item", "name")]
        ordering = ["id"]


class Barcode(models.Model):
    item = models.ForeignKey(Item, related_name="barcodes", on_delete=models.CASCADE)
    code = models.CharField("条码", max_length=64, unique=True)
    unit = models.CharField("单位", max_length=20, blank=True)


class Party(MasterData):
    tax_id = models.CharField("纳税人识别号", max_length=32, blank=True)
    contact = models.CharField("联系人", max_length=100, blank=True)
    phone = models.CharField("电话", max_length=50, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    payment_terms = models.PositiveIntegerField("账期(天)", null=True, blank=True)
    region = models.ForeignKey(Region, verbose_name="区域", null=True, blank=True, on_delete=models.PROTECT)

    class Meta(MasterData.Meta):
        abstract = True


class Supplier(Party):
    class Meta(Party.Meta):
        verbose_name = verbose_name_plural = "供应商"


class Customer(Party):
    credit_limit = models.BigIntegerField("信用额度(分)", null=True, blank=True)  # None = unlimited

    class Meta(Party.Meta):
        verbose_name = verbose_name_plural = "客户"


class Department(MasterData):
    class Meta(MasterData.Meta):
        verbose_name = verbose_name_plural = "部门"
