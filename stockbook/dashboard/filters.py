"""The dashboard's filters (query parameters) and who is asking: the as-of date, warehouse, region,
supplier, customer and category, narrowed to the user's data scope, and whether they may see money.

Bad values raise ``FilterError`` (HTTP 400, or 403 for a warehouse or region outside the user's scope)
with a Chinese message; nothing below the views ever sees an unchecked parameter."""
from dataclasses import dataclass, field
from datetime import date

from stockbook.access import policy
from stockbook.stock.events import month_end


class FilterError(Exception):
    def __init__(self, message: str, status: int = 400, field: str = ""):
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


@dataclass
class Filters:
    as_of: date
    period: str  # YYYY-MM of as_of
    warehouse: object = None  # masterdata objects or None
    region: object = None
    supplier: object = None
    customer: object = None
    category: object = None
    scope: frozenset | None = None  # warehouses the user may see (None: all)
    whs: frozenset | None = None  # warehouses after the warehouse/region filters (None: all)
    money: bool = False  # view_cost: stock values, differences
    books: bool = False  # may read the whole-company books (grni, ar, ap, transit, vouchers)
    documents: bool = False  # view_documents: links to the documents
    raw: dict = field(default_factory=dict)

    def key(self) -> tuple:
        """What the payloads depend on (for the in-process memo)."""
        return (self.as_of, self.scope, self.whs, self.warehouse and self.warehouse.pk, self.region and self.region.pk,
                self.supplier and self.supplier.pk, self.customer and self.customer.pk, self.category and self.category.pk,
                self.money, self.books)

    def query(self) -> dict:
        """The filters as query parameters (links, the page's form)."""
        q = {"period": self.raw.get("period", "")} if self.raw.get("period") else {}
        if self.raw.get("as_of"):
            q["as_of"] = self.raw["as_of"]
        for k in ("warehouse", "region", "supplier", "customer", "category"):
            o = getattr(self, k)
            if o is not None:
                q[k] = o.code
        return q


ALLOWED = {"period", "as_of", "warehouse", "region", "supplier", "customer", "category", "_"}


def _lookup(model, code, label, fld):
    code = (code or "").strip()
    if not code:
        return None
    if len(code) > 64:
        raise FilterError(f"{label}编码过长", field=fld)
    obj = model.objects.filter(code=code).first()
    if obj is None:
        raise FilterError(f"{label} {code} 不存在", field=fld)
    return obj


def user_rights(user) -> dict:
    ids = policy.warehouse_ids(user)
    return {"stock_reports": policy.can(user, "view_stock_reports"), "money": policy.sees_cost(user),
            "books": policy.can_read_books(user), "documents": policy.can(user, "view_documents"),
            "scope": None if ids is None else frozenset(ids)}


def parse(user, params, today: date | None = None, rights: dict | None = None) -> Filters:
    """``params``: request.GET (or a dict); ``rights``: ``user_rights(user)`` (or a cached copy). Raises
    FilterError."""
    from stockbook.masterdata.models import Category, Customer, Region, Supplier, Warehouse

    today = today or date.today()
    unknown = sorted(k for k in params.keys() if k not in ALLOWED)
    if unknown:
        raise FilterError(f"不支持的参数：{', '.join(unknown)}", field=unknown[0])
    raw = {k: params.get(k, "") for k in ALLOWED}
    as_of = today
    if raw["as_of"]:
        try:
            as_of = date.fromisoformat(raw["as_of"].strip())
        except ValueError:
            raise FilterError("截止日期格式应为 YYYY-MM-DD，例如 2026-01-31", field="as_of") from None
    elif raw["period"]:
        p = raw["period"].strip()
        try:
            y, m = p.split("-")
            y, m = int(y), int(m)
            if len(p) != 7 or not (1 <= m <= 12) or not (1900 <= y <= 9999):
                raise ValueError
        except ValueError:
            raise FilterError("期间格式应为 YYYY-MM，例如 2026-01", field="period") from None
        as_of = month_end(y * 100 + m)
    if not (date(1900, 1, 1) <= as_of <= date(9999, 1, 31)):
        raise FilterError("截止日期超出范围", field="as_of")

    r = rights if rights is not None else user_rights(user)
    scope = r["scope"]
    f = Filters(as_of=as_of, period=f"{as_of.year:04d}-{as_of.month:02d}", scope=scope, raw=raw,
                money=r["money"], books=r["books"], documents=r["documents"])
    f.warehouse = _lookup(Warehouse, raw["warehouse"], "仓库", "warehouse")
    f.region = _lookup(Region, raw["region"], "区域", "region")
    f.category = _lookup(Category, raw["category"], "分类", "category")
    f.supplier = _lookup(Supplier, raw["supplier"], "供应商", "supplier")
    f.customer = _lookup(Customer, raw["customer"], "客户", "customer")
    if (f.supplier or f.customer) and not f.books:
        raise FilterError("供应商、客户筛选只用于往来与暂估（需要账簿查看权限且无数据范围限制）",
                          status=403, field="supplier" if f.supplier else "customer")
    whs = scope
    if f.warehouse is not None:
        if scope is not None and f.warehouse.pk not in scope:
            raise FilterError(f"仓库 {f.warehouse.code} 不在您的数据范围内", status=403, field="warehouse")
        whs = frozenset({f.warehouse.pk})
    if f.region is not None:
        in_region = frozenset(Warehouse.objects.filter(region=f.region).values_list("pk", flat=True))
        if scope is not None and not (in_region & scope):
            raise FilterError(f"区域 {f.region.code} 不在您的数据范围内", status=403, field="region")
        whs = in_region if whs is None else whs & in_region
    f.whs = whs
    return f
