"""Handlers: one function per document type. ``handler(ctx)`` checks the fields in contract order and
returns ``write(document)``, which makes the document's effects (called only when every check passed)."""
from stockbook.masterdata.models import Customer, Item, Supplier, Warehouse

from . import journal, master, opening, period

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
}

MASTER_MODELS = {"warehouse": Warehouse, "item": Item, "supplier": Supplier, "customer": Customer}
