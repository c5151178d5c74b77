"""``post(document)``: the one path by which anything enters the books (contract sections 1 and 6).

Every entry point — ``stockbook import``, ``POST /api/documents``, the web forms — calls ``post``. It runs
the checks in the contract's order, and writes the document, its lines, stock moves and voucher in one
database transaction: a rejected document leaves nothing behind.
"""
import hashlib
import time
from dataclasses import dataclass, field

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from stockbook.core.errors import DocError
from stockbook.core.jsonio import canonical
from stockbook.core.money import JFloat
from stockbook.ledger.models import Account
from stockbook.ledger.posting import Unbalanced

from . import extensions
from .books import Books
from .fields import MISSING, get, parse_date, parse_time, period_of, period_str
from .handlers import HANDLERS, MASTER_MODELS
from .models import Document
from .signals import announce

MASTER_TYPES = {"company", "warehouse", "item", "supplier", "customer", "account"}
OPENING_TYPES = {"opening_balance", "opening_stock"}
BUSINESS_TYPES = {
    "purchase_receipt", "purchase_invoice", "purchase_return", "sales_delivery", "sales_invoice", "sales_return",
    "transfer", "stock_count", "count_settlement", "scrap", "customer_receipt", "supplier_payment", "journal",
    "period_close", "purchase_red_invoice", "sales_red_invoice", "advance_application",
}
ALL_TYPES = MASTER_TYPES | OPENING_TYPES | BUSINESS_TYPES
NEEDS_COMPANY = (ALL_TYPES - {"company", "warehouse", "supplier", "customer"})

TYPE_NAMES = {
    "company": "公司", "warehouse": "仓库", "item": "存货", "supplier": "供应商", "customer": "客户", "account": "会计科目",
    "opening_balance": "期初余额", "opening_stock": "期初库存", "purchase_receipt": "采购入库单", "purchase_invoice": "采购发票",
    "purchase_return": "采购退货单", "sales_delivery": "销售出库单", "sales_invoice": "销售发票", "sales_return": "销售退货单",
    "transfer": "调拨单", "stock_count": "盘点单", "count_settlement": "盘点处理单", "scrap": "报废单",
    "customer_receipt": "收款单", "supplier_payment": "付款单", "journal": "记账凭证", "period_close": "期末结账",
    "purchase_red_invoice": "红字采购发票", "sales_red_invoice": "红字销售发票", "advance_application": "预收预付冲销单",
}


@dataclass
class PostResult:
    status: str  # "posted" | "duplicate" | "pending" (waiting for approval: document None, see approval)
    document: Document
    vouchers: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # sentences for people; the document is posted
    approval: object = None  # the approvals.ApprovalRequest of a "pending" result

    @property
    def posted(self):
        return self.status == "posted"


@dataclass
class Ctx:
    """What a handler gets: the raw object, its parsed header and the lookups."""

    obj: dict
    type: str
    books: Books
    user: object = None
    ref: str = ""
    date: object = None
    time: object = None
    canonical: str = ""
    identity: str = ""
    source: str = "api"
    warnings: list = field(default_factory=list)
    header: dict = field(default_factory=dict)  # Document fields a handler fills (supplier, warehouse, …)


def ref_of(obj) -> str | None:
    """The ref (code for master data) a rejected line is reported with."""
    if not isinstance(obj, dict):
        return None
    v = obj.get("code") if obj.get("type") in MASTER_TYPES else obj.get("ref")
    return v if isinstance(v, str) else None


RETRIES = 3


def post(obj, *, books: Books | None = None, user=None, source: str = "api", approved: bool = False) -> PostResult:
    """Post one document; a PostgreSQL deadlock or serialization failure is retried (nothing was written).
    A person's document that an approval workflow covers is checked and returned "pending" instead
    (docs/approvals.md); ``approved=True`` is the final approval posting it."""
    books = books or Books()
    if user is not None and not approved:
        from stockbook.approvals.gate import gate

        gated = gate(obj, books=books, user=user, source=source)
        if gated is not None:
            return gated
    for attempt in range(RETRIES):
        try:
            return _post_once(obj, books, user, source)
        except OperationalError as e:
            if attempt == RETRIES - 1 or not _retryable(e) or connection.in_atomic_block:
                raise
            time.sleep(0.05 * (attempt + 1))


def _retryable(e) -> bool:
    code = getattr(e.__cause__, "sqlstate", None)
    return code in ("40001", "40P01")  # serialization_failure, deadlock_detected


def _post_once(obj, books: Books, user, source) -> PostResult:
    try:
        with transaction.atomic():
            res = _post(obj, books, user, source)
        if res.status == "posted" and res.document is not None:
            announce(res.document, res.document.date)
        return res
    except BaseException as e:
        books.clear()  # the cache may hold what the rolled-back transaction created
        if isinstance(e, IntegrityError) and "identity" in str(e):  # a concurrent client posted it first
            raise DocError("duplicate_ref", "编号已被其他用户同时占用") from e
        if isinstance(e, Unbalanced):  # a posting rule produced an unbalanced voucher: never write it
            raise DocError("unbalanced", str(e)) from e
        raise


def _check_access(obj: dict, typ: str, user):
    """A person (web, API) may post only the document types of their role, only in their warehouses.
    The command line (no user) may post everything."""
    from stockbook.access import policy
    from stockbook.access.models import CAPABILITIES

    cap = policy.doc_capability(typ)
    if not policy.can(user, cap):
        raise DocError("not_allowed", f"没有权限录入{TYPE_NAMES.get(typ, typ)}（需要“{CAPABILITIES[cap]}”）", field="type")
    codes = policy.warehouse_codes(user)
    if codes is None:
        return
    if typ == "warehouse":
        raise DocError("not_allowed", "数据范围限定了仓库的用户不能维护仓库", field="type")
    where = [("warehouse", obj.get("warehouse"), None)]
    lines = obj.get("lines")
    if isinstance(lines, list):
        where += [("warehouse", ln.get("warehouse"), i) for i, ln in enumerate(lines, 1) if isinstance(ln, dict)]
    for key, code, line in where:
        if isinstance(code, str) and code not in codes:
            raise DocError("not_allowed", f"仓库 {code} 不在您的数据范围内", field=key, line=line)


def _post(obj, books: Books, user, source) -> PostResult:
    # 1. a JSON object
    if not isinstance(obj, dict):
        raise DocError("invalid_value", "每一行必须是一个 JSON 对象")
    typ = obj.get("type")
    if not isinstance(typ, str) or isinstance(typ, JFloat):
        typ = None
    ctx = Ctx(obj=obj, type=typ or "", books=books, user=user, source=source, canonical=canonical(obj))

    # 2. identity already posted: skip if identical, else duplicate_ref
    dup = _identity(ctx)
    if dup is not None:
        return dup

    # 3. type, company, ref
    if typ not in ALL_TYPES:
        raise DocError("invalid_value", f"未知的单据类型：{obj.get('type')!r}", field="type")
    if typ in NEEDS_COMPANY and books.company is None:
        raise DocError("invalid_value", "请先建立公司（company）", field="type")
    if user is not None:
        _check_access(obj, typ, user)
    if typ in BUSINESS_TYPES:
        ctx.ref = _ref(obj, required=True)
    elif typ in OPENING_TYPES:
        ctx.ref = _ref(obj, required=False) or ""

    # 4. date and time; 5. periods
    if typ in BUSINESS_TYPES or typ in OPENING_TYPES:
        ctx.date = parse_date(get(obj, "date") if get(obj, "date") is not MISSING else None)
        if get(obj, "time") is not MISSING:
            ctx.time = parse_time(obj["time"])
        start = books.company.start_period
        p = period_of(ctx.date)
        if typ in OPENING_TYPES:
            if p >= start:
                raise DocError("invalid_value", f"期初数据的日期必须早于启用期间 {period_str(start)}", field="date")
            if books.closed_periods:
                raise DocError("period_closed", "已有期间结账，不能再录入期初数据", field="date")
        elif p < start:
            raise DocError("period_closed", f"单据日期早于启用期间 {period_str(start)}", field="date")
        elif p in books.closed_periods:
            raise DocError("period_closed", f"{period_str(p)} 已结账，不能录入该期间的单据", field="date")

    # 6.–8. the type's own fields, rules and effects
    handler = HANDLERS[typ]
    write = handler(ctx)
    doc = _insert_document(Document(
        type=typ, ref=ctx.ref, identity=ctx.identity, canonical=ctx.canonical, date=ctx.date, time=ctx.time,
        source=source, created_by=user if getattr(user, "pk", None) else None, status=Document.POSTED,
        created_at=timezone.now(), **ctx.header,
    ))
    vouchers = write(doc) or []
    extensions.after_post(ctx, doc, vouchers)  # the business apps' fields (orders, batches): may still refuse
    if user is not None:  # a person (web, REST); an import run is one entry of its own (importer)
        from stockbook.audit import posted

        posted(doc, vouchers, user)
    return PostResult("posted", doc, vouchers, ctx.warnings)


def retire(key: str):
    """A master record that was deleted (never referenced) frees its code: its creating document keeps
    its history under another identity, so the code can be created again."""
    Document.objects.filter(identity=key).update(identity=Concat(F("identity"), Value("#deleted-"), Cast("id", CharField())))


def _insert_document(doc: Document) -> Document:
    """INSERT … RETURNING id in plain SQL (one per posted line; the ORM's insert costs more than the rest)."""
    fields = [f for f in Document._meta.concrete_fields if not f.primary_key]
    cols = [f.column for f in fields]
    vals = [f.get_db_prep_save(getattr(doc, f.attname), connection) for f in fields]
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {Document._meta.db_table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) RETURNING id", vals)
        doc.pk = cur.fetchone()[0]
    doc._state.adding = False
    return doc


def _ref(obj, required: bool) -> str | None:
    v = get(obj, "ref")
    if v is MISSING:
        if required:
            raise DocError("invalid_value", "缺少单据编号 ref", field="ref")
        return None
    if not isinstance(v, str) or isinstance(v, JFloat) or not v.strip() or len(v) > 100:
        raise DocError("invalid_value", "单据编号 ref 必须是非空字符串", field="ref")
    return v


def _identity(ctx: Ctx) -> PostResult | None:
    """Work out the document's identity; return a duplicate result, raise duplicate_ref, or None (new)."""
    obj, typ = ctx.obj, ctx.type
    key = None
    if typ == "company":
        key = "company"
        from stockbook.masterdata.models import Company

        if Company.objects.exists():
            doc = Document.objects.filter(identity=key).first()
            if doc and doc.canonical == ctx.canonical:
                return PostResult("duplicate", doc)
            raise DocError("duplicate_ref", "一个账套只能有一个公司", field="code")
    elif typ == "account":
        code = obj.get("code")
        if isinstance(code, str) and code and not isinstance(code, JFloat):
            key = f"account:{code}"
            acc = Account.objects.filter(code=code).select_related("parent").first()
            if acc is not None:
                parent = obj.get("parent")
                same = (obj.get("name") == acc.name and isinstance(obj.get("name"), str)
                        and (parent if parent is not None else None) == (acc.parent.code if acc.parent else None))
                if same:
                    doc = Document.objects.filter(identity=key).first()
                    return PostResult("duplicate", doc)
                raise DocError("duplicate_ref", f"科目 {code} 已存在，名称或上级科目不同", field="code")
            retire(key)
    elif typ in MASTER_TYPES:
        code = obj.get("code")
        if isinstance(code, str) and code and not isinstance(code, JFloat):
            key = f"{typ}:{code}"
            if MASTER_MODELS[typ].objects.filter(code=code).exists():
                doc = Document.objects.filter(identity=key).first()
                if doc and doc.canonical == ctx.canonical:
                    return PostResult("duplicate", doc)
                raise DocError("duplicate_ref", f"编码 {code} 已存在且内容不同", field="code")
            retire(key)
    elif typ in OPENING_TYPES or typ in BUSINESS_TYPES:
        ref = obj.get("ref")
        if isinstance(ref, str) and ref and not isinstance(ref, JFloat):
            key = f"{typ}:{ref}"
        elif typ in OPENING_TYPES and ref is None:
            key = f"{typ}#" + hashlib.sha256(ctx.canonical.encode()).hexdigest()
        if key:
            with connection.cursor() as cur:  # the hot path of every import line: plain SQL
                cur.execute(f"SELECT id, canonical FROM {Document._meta.db_table} WHERE identity = %s", [key])
                found = cur.fetchall()
            if found:
                if found[0][1] == ctx.canonical:
                    return PostResult("duplicate", Document.objects.get(pk=found[0][0]))
                raise DocError("duplicate_ref", f"单据编号 {ref} 已存在且内容不同", field="ref")
    ctx.identity = key or ""
    return None
