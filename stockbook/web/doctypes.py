"""The business document types the web forms enter, and what each form shows.

One table drives the shared form (``web/doc_form.html`` + ``doc_form.js``): the header fields, the kind of
line grid and its columns, the ref prefix. The form builds the interchange dict (contract section 3) and
calls ``post()``; nothing here checks business rules, ``post()`` does.
"""
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DocType:
    type: str
    label: object
    prefix: str
    group: str  # purchase | sales | stock | money
    header: tuple = ()  # header fields, in the contract's order
    lines: str = "item"  # item | ref (invoice lines: receipt/delivery + line) | ref1 (return lines: line of the header's doc) | alloc | none
    cols: tuple = ()  # line grid columns
    ref_type: str = ""  # the document type lines (or the header) refer to
    ref_key: str = ""  # the contract key naming it: receipt | delivery | count
    party: str = ""  # supplier | customer
    availability: str = ""  # header field whose warehouse the stock is taken from (issues)
    barcode: bool = False
    extra: dict = field(default_factory=dict)


DOC_TYPES = {d.type: d for d in [
    DocType("purchase_receipt", _("Purchase receipt"), "CGRK", "purchase", ("supplier", "warehouse"),
            "item", ("item", "uom", "qty", "unit_price", "amount", "batch", "expiry"), party="supplier", barcode=True),
    DocType("purchase_invoice", _("Purchase invoice"), "CGFP", "purchase", ("supplier",),
            "ref", ("src_ref", "src_line", "item_ro", "uom", "qty", "unit_price", "tax_rate", "amount", "tax"),
            ref_type="purchase_receipt", ref_key="receipt", party="supplier"),
    DocType("purchase_return", _("Purchase return"), "CGTH", "purchase", ("receipt",),
            "ref1", ("src_line", "item_ro", "uom", "qty", "remaining", "avail"),
            ref_type="purchase_receipt", ref_key="receipt", party="supplier", availability="ref"),
    DocType("sales_delivery", _("Sales delivery"), "XSCK", "sales", ("customer", "warehouse"),
            "item", ("item", "uom", "qty", "unit_price", "amount", "avail", "batch"), party="customer",
            availability="warehouse", barcode=True),
    DocType("sales_invoice", _("Sales invoice"), "XSFP", "sales", ("customer",),
            "ref", ("src_ref", "src_line", "item_ro", "uom", "qty", "unit_price", "tax_rate", "amount", "tax"),
            ref_type="sales_delivery", ref_key="delivery", party="customer"),
    DocType("sales_return", _("Sales return"), "XSTH", "sales", ("delivery",),
            "ref1", ("src_line", "item_ro", "uom", "qty", "remaining"),
            ref_type="sales_delivery", ref_key="delivery", party="customer"),
    DocType("transfer", _("Transfer"), "DB", "stock", ("from", "to"),
            "item", ("item", "uom", "qty", "avail", "batch"), availability="from", barcode=True),
    DocType("stock_count", _("Stock count"), "PD", "stock", ("warehouse",),
            "item", ("item", "uom", "counted_qty", "unit_cost", "book"), availability="warehouse", barcode=True),
    DocType("count_settlement", _("Count settlement"), "PDCL", "stock", ("count",), "none", (),
            ref_type="stock_count", ref_key="count"),
    DocType("scrap", _("Scrap"), "BS", "stock", ("warehouse", "reason"),
            "item", ("item", "uom", "qty", "avail", "batch"), availability="warehouse", barcode=True),
    # red invoices (docs/contract-extensions.md): lines name a blue invoice line, at its price and tax rate
    DocType("purchase_red_invoice", "红字采购发票", "CGHZ", "purchase", ("supplier",),
            "ref", ("src_ref", "src_line", "item_ro", "uom", "qty", "remaining"),
            ref_type="purchase_invoice", ref_key="invoice", party="supplier"),
    DocType("sales_red_invoice", "红字销售发票", "XSHZ", "sales", ("customer",),
            "ref", ("src_ref", "src_line", "item_ro", "uom", "qty", "remaining"),
            ref_type="sales_invoice", ref_key="invoice", party="customer"),
    # "prepayment": 预收/预付 (docs/contract-extensions.md §2), a checkbox; a prepayment allocates nothing
    DocType("customer_receipt", _("Customer receipt"), "SK", "money", ("customer", "account", "amount", "prepayment"),
            "alloc", ("invoice", "open", "alloc_amount"), ref_type="sales_invoice", party="customer"),
    DocType("supplier_payment", _("Supplier payment"), "FK", "money", ("supplier", "account", "amount", "prepayment"),
            "alloc", ("invoice", "open", "alloc_amount"), ref_type="purchase_invoice", party="supplier"),
    # 预收冲应收 / 预付冲应付: "side" (not a contract field) says which party the form names; the other is not sent
    DocType("advance_application", "预收预付冲销", "YSYF", "money", ("side", "customer", "supplier", "amount"),
            "alloc", ("invoice", "open", "alloc_amount"), ref_type="sales_invoice", party="customer"),
]}

# advance_application: the side chosen → (party key, the invoices it applies to)
SIDES = {"customer": ("customer", "sales_invoice"), "supplier": ("supplier", "purchase_invoice")}

GROUPS = [("purchase", _("Purchasing")), ("sales", _("Sales")), ("stock", _("Stock")), ("money", _("Receipts and payments"))]

# every document type a list can show (business documents, openings, journals and closes)
LIST_TYPES = {
    **{k: d.label for k, d in DOC_TYPES.items()},
    "journal": _("Journal voucher"), "period_close": _("Period close"),
    "opening_balance": _("Opening balance"), "opening_stock": _("Opening stock"),
}

HEADER_LABELS = {
    "supplier": _("Supplier"), "customer": _("Customer"), "warehouse": _("Warehouse"), "from": _("From warehouse"),
    "to": _("To warehouse"), "receipt": _("Purchase receipt"), "delivery": _("Sales delivery"), "count": _("Stock count"),
    "account": _("Cash or bank account"), "amount": _("Amount"), "reason": _("Reason"),
    "prepayment": "预收/预付款", "side": "冲销类型",
}

COL_LABELS = {
    "item": _("Item"), "item_ro": _("Item"), "uom": _("Unit"), "qty": _("Quantity"), "unit_price": _("Unit price (excl. tax)"),
    "amount": _("Amount"), "tax": _("Tax"), "tax_rate": _("Tax rate"), "avail": _("On hand"), "counted_qty": _("Counted qty"),
    "unit_cost": _("Unit cost"), "book": _("Book qty"), "src_ref": _("Source document"), "src_line": _("Line"),
    "remaining": _("Returnable"), "invoice": _("Invoice"), "open": _("Open amount"), "alloc_amount": _("Allocated"),
    "batch": "批次", "expiry": "有效期至",  # batch-managed items (docs/batches.md); optional, blank for other items
}

# columns that are posted form inputs (the others are shown by the script)
INPUT_COLS = ("item", "uom", "qty", "unit_price", "tax_rate", "counted_qty", "unit_cost", "src_ref", "src_line",
              "invoice", "alloc_amount", "batch", "expiry")
