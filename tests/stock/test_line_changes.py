"""A re-costing corrects a changed line from its entries with the old and the new result (``sync.LineChanges``
over ``rules.line_amounts``): the same voucher lines as correcting what vouchers posted from the old entries
say (``corrections`` over ``states``), for every line rule — including accounts that coincide, red ink and
amounts that change side."""
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from stockbook.posting.rules import RED_INK, Accounts, entries_for, line_amounts, line_dims
from stockbook.posting.sync import LineChanges, corrections, states

TYPES = ["purchase_receipt", "purchase_invoice", "purchase_red_invoice", "sales_red_invoice", "purchase_return",
         "sales_delivery", "sales_invoice", "sales_return", "stock_count", "scrap"]
ROLES = ["grni", "vat_input", "cogs", "ap_invoiced", "ar_invoiced", "ar_uninvoiced", "vat_output", "revenue",
         "count_pending", "scrap"]


class Roles(Accounts):
    """``Accounts`` without a chart: each role an account id (two roles may share one, as a chart may map them)."""

    def __init__(self, ids):
        super().__init__("")
        self.ids = dict(zip(ROLES, ids))

    def role(self, name):
        return self.ids[name]


money = st.integers(-5000, 5000)


@st.composite
def results(draw):
    r = {"P": draw(money), "stock": draw(money), "cogs": draw(money), "value": draw(money), "cost": draw(money)}
    if draw(st.booleans()):
        r["diff"] = draw(st.integers(-3, 3))
    if draw(st.booleans()):  # a sales return of a delivery not costed yet, a count with no value
        del r[draw(st.sampled_from(["cost", "value"]))]
    return r


@settings(max_examples=400, deadline=None)
@given(t=st.sampled_from(TYPES), amount=money, tax=money, old=st.one_of(st.none(), results()), new=results(),
       ids=st.lists(st.integers(1, 6), min_size=len(ROLES), max_size=len(ROLES)), inv=st.integers(1, 8),
       monthly=st.booleans(), rerouted=st.booleans(), party=st.sampled_from([{}, {"customer_id": 7}, {"supplier_id": 3}]),
       wh=st.sampled_from([None, 2]), line_no=st.integers(1, 4))
def test_line_changes_are_the_corrections_of_the_old_entries(t, amount, tax, old, new, ids, inv, monthly, rerouted, party, wh, line_no):
    acc = Roles(ids)
    red = t in RED_INK
    owner, item = 41, 9
    doc = SimpleNamespace(id=owner, type=t)
    items = {item: (inv, "monthly_average" if monthly else "moving_average")}
    reroute = frozenset({line_no}) if rerouted else frozenset()

    def line(result):
        return SimpleNamespace(document_id=owner, line_no=line_no, item_id=item, warehouse_id=wh, amount=amount, tax=tax, result=result)

    def entries(result):
        return entries_for(doc, [line(result)], party, acc, items, reroute)

    try:
        want = corrections(owner, entries(new), states(owner, entries(old), red), red)
    except KeyError:  # a result without the part its rule reads: the rule fails either way
        return
    grni = inv if rerouted else "grni"
    changes = LineChanges(acc.resolve)
    args = (owner, line_no, line_amounts(t, amount, tax, new, inv, monthly, grni),
            line_amounts(t, amount, tax, old or {}, inv, monthly, grni), line_dims(party, item, wh), red)
    assert changes(*args) == want
    assert changes(*args) == want  # the shape's accounts cached
    # the cached shape with other amounts: the change reversed
    back = corrections(owner, entries(old), states(owner, entries(new), red), red) if old is not None else None
    if back is not None:
        assert changes(args[0], args[1], args[3], args[2], *args[4:]) == back
