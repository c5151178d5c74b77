"""Lookups of master data and period state for posting, with an optional cache for long imports.

A ``Books`` lives for one ``post()`` call (API, web) or one whole import. Lookups miss to the database,
so records created by others are found; everything cached is dropped when a document is rolled back.
"""
from stockbook.ledger.models import Account, Period
from stockbook.masterdata.models import Company, Customer, Item, Supplier, Warehouse


class Books:
    def __init__(self):
        self.clear()

    def clear(self):
        self._company = None
        self._accounts = None
        self._cache = {}
        self._closed = None

    # -- company --------------------------------------------------------------------------
    @property
    def company(self) -> Company | None:
        if self._company is None:
            self._company = Company.current()
        return self._company

    @property
    def chart(self) -> str:
        return self.company.chart

    @property
    def accounts(self):
        """Role → account id lookups of the company's chart (posting rules)."""
        from .rules import Accounts

        if self._accounts is None:
            self._accounts = Accounts(self.chart)
        return self._accounts

    # -- master data ------------------------------------------------------------------------
    def _get(self, model, code, **extra):
        key = (model.__name__, code)
        if key not in self._cache:
            self._cache[key] = model.objects.filter(code=code, **extra).first()
        return self._cache[key]

    def account(self, code) -> Account | None:
        return self._get(Account, code)

    def item(self, code) -> Item | None:
        return self._get(Item, code)

    def warehouse(self, code) -> Warehouse | None:
        return self._get(Warehouse, code)

    def customer(self, code) -> Customer | None:
        return self._get(Customer, code)

    def supplier(self, code) -> Supplier | None:
        return self._get(Supplier, code)

    def prefetch(self, model, codes):
        """Load the records of many codes in one query (a document's items, say)."""
        missing = {c for c in codes if isinstance(c, str) and (model.__name__, c) not in self._cache}
        if not missing:
            return
        found = {r.code: r for r in model.objects.filter(code__in=missing)}
        for c in missing:
            self._cache[(model.__name__, c)] = found.get(c)

    def forget(self, model, code):
        self._cache.pop((model.__name__, code), None)

    def item_units(self, item: Item) -> dict:
        key = ("units", item.pk)
        if key not in self._cache:
            self._cache[key] = {u.name: u.factor for u in item.units.all()}
        return self._cache[key]

    # -- periods ----------------------------------------------------------------------------
    @property
    def closed_periods(self) -> set[int]:
        if self._closed is None:
            self._closed = set(Period.objects.filter(status=Period.CLOSED).values_list("period", flat=True))
        return self._closed

    def last_closed(self) -> int | None:
        return max(self.closed_periods) if self.closed_periods else None

    def is_open(self, period: int) -> bool:
        return period >= self.company.start_period and period not in self.closed_periods
