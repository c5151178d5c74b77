"""Handlers: one function per document type. ``handler(ctx)`` checks the fields in contract order and
returns ``write(document)``, which makes the document's effects (called only when every check passed)."""
from stockbook.masterdata.models import Customer, Item, Supplier, Warehouse

from . import business, journal, master, opening, period

HANDLERS = {
    "company": master.company,
    "warehouse": master.warehouse,
    "item": master.item,
    "supplier": master.supplier,
    "customer": master.customer,
    "account": master.account,
    "opening_balance": journal.opening_balance,
    "opening_stock": opening.opening_stock,
    "journal": journal.journal,
    "period_close": period.period_close,
    "purchase_receipt": business.purchase_receipt,
    "purchase_invoice": business.purchase_invoice,
    "purchase_return": business.purchase_return,
    "sales_delivery": business.sales_delivery,
    "sales_invoice": business.sales_invoice,
    "sales_return": business.sales_return,
    "purchase_red_invoice": business.purchase_red_invoice,
    "sales_red_invoice": business.sales_red_invoice,
    "transfer": business.transfer,
    "stock_count": business.stock_count,
    "count_settlement": business.count_settlement,
    "scrap": business.scrap,
    "customer_receipt": business.customer_receipt,
    "supplier_payment": business.supplier_payment,
    "advance_application": business.advance_application,
}

MASTER_MODELS = {"warehouse": Warehouse, "item": Item, "supplier": Supplier, "customer": Customer}
