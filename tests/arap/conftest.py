"""Small receivable/payable books for the AR/AP tests (figures worked out in each test's docstring).

Every sale is a delivery and its invoice on the same day (A001, tax 13 %): ``sale(ref, day, net)`` posts
D-ref and ref with qty 1 at ``net``, gross = net × 1.13. Every purchase likewise (R-ref and ref)."""
import pytest

from tests.stock.helpers import delivery, pinv, receipt, setup_company, sinv


@pytest.fixture
def arap(post_json):
    setup_company(post_json, credit_limit=None)
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "100000", "amount": "100000.00"}]})
    return Books(post_json)


class Books:
    def __init__(self, post):
        self.post = post

    def sale(self, ref, day, net, customer="C01"):
        self.post(delivery(f"D-{ref}", day, "WH1", [("A001", "1", net)], customer=customer))
        self.post(sinv(ref, day, [(f"D-{ref}", 1, "1", net)], customer=customer))

    def purchase(self, ref, day, net, supplier="S01"):
        self.post(receipt(f"R-{ref}", day, "WH1", [("A001", "1", net)], supplier=supplier))
        self.post(pinv(ref, day, [(f"R-{ref}", 1, "1", net)], supplier=supplier))

    def receive(self, ref, day, amount, customer="C01", alloc=()):
        doc = {"type": "customer_receipt", "ref": ref, "date": day, "customer": customer, "account": "1002",
               "amount": amount}
        if alloc:
            doc["allocations"] = [{"invoice": i, "amount": a} for i, a in alloc]
        return self.post(doc)

    def pay(self, ref, day, amount, supplier="S01", alloc=()):
        doc = {"type": "supplier_payment", "ref": ref, "date": day, "supplier": supplier, "account": "1002",
               "amount": amount}
        if alloc:
            doc["allocations"] = [{"invoice": i, "amount": a} for i, a in alloc]
        return self.post(doc)


def report(name, **p):
    """The contract JSON of a report built for the operator (no user)."""
    from stockbook.reports.registry import build_report

    return build_report(name, p).data
