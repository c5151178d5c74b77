"""The authorization matrix: every role × endpoint (pages, REST, exports in every format) × field group
(prices, costs, the other region's warehouse), checked against the role table in
stockbook/access/roles.py — the oracle is the table, the observations are real HTTP responses.

Data: two warehouses in two regions. Markers that appear only where their field group may show:
- PRICE: the delivery's unit price 99.8765 and its amount 299.63;
- COST:  the E1 stock value after the delivery, 86.42, and the delivery's cost 37.04;
- NORTH: the warehouse 华北仓 (N1), outside the regional manager's scope;
- BOOKS: voucher numbers (记-2026-01-…), whole-company books, only for those who may read them.
"""
import io
import json
import shutil
import subprocess

import pytest
from django.test import Client

from stockbook.access.roles import ROLES

PRICE, COST, NORTH = ("99.8765", "299.63"), ("86.42", "37.04"), ("华北", "\"N1\"")
AS_OF = "2026-01-31"


@pytest.fixture
def world(company, post_json):
    post_json({"type": "warehouse", "code": "E1", "name": "华东仓", "region": "华东"})
    post_json({"type": "warehouse", "code": "N1", "name": "华北仓", "region": "华北"})
    post_json({"type": "purchase_receipt", "ref": "R-E1", "date": "2026-01-05", "supplier": "S01", "warehouse": "E1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "12.3457"}]})
    post_json({"type": "purchase_receipt", "ref": "R-N1", "date": "2026-01-06", "supplier": "S01", "warehouse": "N1",
               "lines": [{"item": "A001", "qty": "5", "unit_price": "7.7777"}]})
    post_json({"type": "sales_delivery", "ref": "D-E1", "date": "2026-01-10", "customer": "C01", "warehouse": "E1",
               "lines": [{"item": "A001", "qty": "3", "unit_price": "99.8765"}]})
    from stockbook.access.models import Scope
    from stockbook.masterdata.models import Region
    from stockbook.posting.models import Document
    from tests.roles import role_user

    users = {}
    for i, role in enumerate(ROLES):
        u = role_user(f"u{i}", role, "pw-matrix-1")
        if role == "区域经理":
            Scope.objects.create(user=u).regions.add(Region.objects.get(name="华东"))
        users[role] = u
    docs = {d.ref: d.pk for d in Document.objects.filter(ref__in=["R-E1", "R-N1", "D-E1"])}
    return users, docs


def _text(resp, fmt) -> str:
    body = resp.content
    if fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(body))
        return "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    if fmt == "pdf":
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True).stdout.decode()
    return body.decode("utf-8", "replace")


def endpoints(docs):
    """(name, channel, url, format, required capabilities, field groups the response can carry, scope-bound)."""
    sb = f"?as_of={AS_OF}"
    rng = "?from=2026-01-01&to=2026-01-31"
    out = [
        ("dashboard", "web", "/", "html", set(), {"books"}),
        ("document list", "web", "/documents/", "html", {"view_documents"}, {"price", "north"}),
        ("delivery page", "web", f"/documents/{docs['D-E1']}/", "html", {"view_documents"}, {"price", "cost"}),
        ("north receipt page", "web", f"/documents/{docs['R-N1']}/", "html", {"view_documents", "!scoped"}, set()),
        ("stock balance page", "web", f"/reports/stock/stock-balance/{sb}", "html", {"view_stock_reports"}, {"cost", "north"}),
        ("stock summary page", "web", f"/reports/stock/stock-summary/{rng}", "html", {"view_stock_reports"}, {"cost", "north"}),
        ("move log page", "web", f"/reports/stock/moves/{rng}", "html", {"view_stock_reports"}, {"cost", "north"}),
        ("trial balance page", "web", f"/reports/trial-balance/{rng}", "html", {"view_books", "view_cost", "!scoped"}, set()),
        ("voucher list", "web", "/vouchers/", "html", {"view_books"}, set()),
        ("new delivery form", "web", "/documents/new/sales_delivery/", "html", {"doc_sales"}, set()),
        ("new transfer form", "web", "/documents/new/transfer/", "html", {"doc_stock"}, set()),
        ("roles page", "web", "/access/roles/", "html", {"manage_access"}, set()),
        ("form helper: delivery lines", "web", "/stock/ref-lines?type=sales_delivery&ref=D-E1", "json", set(), {"price"}),
        ("form helper: north receipt lines", "web", "/stock/ref-lines?type=purchase_receipt&ref=R-N1", "json", {"!scoped"}, set()),
        ("form helper: open receipts", "web", "/stock/open-documents?type=purchase_receipt", "json", set(), {"north"}),
        ("form helper: open invoices", "web", "/stock/open-invoices?type=sales_invoice&party=C01", "json", {"view_price"}, set()),
        ("API delivery", "api", "/api/documents/sales_delivery/D-E1", "json", {"view_documents"}, {"price"}),
        ("API north receipt", "api", "/api/documents/purchase_receipt/R-N1", "json", {"view_documents", "!scoped"}, set()),
        ("API vouchers", "api", "/api/vouchers", "json", {"view_books", "view_cost", "!scoped"}, set()),
        ("API trial balance", "api", f"/api/reports/trial-balance{rng}", "json", {"view_books", "view_cost", "!scoped"}, set()),
    ]
    for fmt in ("csv", "xlsx", "pdf", "json"):
        out.append((f"stock balance export {fmt}", "web", f"/reports/stock/stock-balance/export/{fmt}/{sb}", fmt,
                    {"view_stock_reports", "export"}, {"cost", "north"}))
        out.append((f"stock summary export {fmt}", "web", f"/reports/stock/stock-summary/export/{fmt}/{rng}", fmt,
                    {"view_stock_reports", "export"}, {"cost", "north"}))
        api_caps = {"view_stock_reports"} | ({"export"} if fmt != "json" else set())
        out.append((f"API stock balance {fmt}", "api", f"/api/reports/stock-balance{sb}&format={fmt}", fmt, api_caps, {"cost", "north"}))
    return out


MARKERS = {"price": PRICE, "cost": COST, "north": NORTH, "books": ("记-2026-01-",)}


def _expect(role, need, fields):
    caps = ROLES[role]
    scoped = role == "区域经理"
    allowed = all((not scoped) if c == "!scoped" else c in caps for c in need)
    shows = {"price": "view_price" in caps, "cost": "view_cost" in caps, "north": not scoped,
             "books": {"view_books", "view_cost"} <= caps and not scoped}
    return allowed, {f: shows[f] for f in fields}


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is installed by `make sysdeps`")
@pytest.mark.parametrize("role", list(ROLES))
def test_authorization_matrix(world, role):
    from stockbook.users.models import ApiToken

    users, docs = world
    user = users[role]
    web = Client()
    web.force_login(user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 'matrix')[1]}")
    leaks = []
    for name, channel, url, fmt, need, fields in endpoints(docs):
        resp = (web if channel == "web" else api).get(url)
        allowed, shows = _expect(role, need, fields)
        if not allowed:
            if resp.status_code != 403:
                leaks.append(f"{name}: expected 403, got {resp.status_code}")
            elif channel == "api":
                assert resp.json()["error"] == "not_allowed"
            continue
        if resp.status_code != 200:
            leaks.append(f"{name}: expected 200, got {resp.status_code}")
            continue
        text = _text(resp, fmt)
        for field, visible in shows.items():
            present = any(m in text for m in MARKERS[field])
            if present != visible:
                leaks.append(f"{name}: {field} {'missing' if visible else 'LEAKED'}")
    assert not leaks, f"{role}: " + "; ".join(leaks)


def test_matrix_covers_every_role_and_capability(world):
    """The matrix above exercises each capability that guards a page or endpoint, for each role."""
    from stockbook.access.models import CAPABILITIES

    users, docs = world
    guarded = {c for e in endpoints(docs) for c in e[4] if not c.startswith("!")}
    assert {"view_documents", "view_stock_reports", "view_books", "view_cost", "export", "doc_sales", "doc_stock",
            "manage_access"} <= guarded <= set(CAPABILITIES)
    assert set(users) == set(ROLES)


def test_post_outside_scope_or_role_writes_nothing(world):
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document
    from stockbook.users.models import ApiToken

    users, _ = world
    before = (Document.objects.count(), Voucher.objects.count())
    # the regional manager may not post at all; the warehouse clerk may not post a delivery
    for role, doc in (("区域经理", {"type": "scrap", "ref": "X1", "date": "2026-01-20", "warehouse": "E1",
                                 "lines": [{"item": "A001", "qty": "1"}]}),
                      ("仓库", {"type": "sales_delivery", "ref": "X2", "date": "2026-01-20", "customer": "C01", "warehouse": "E1",
                              "lines": [{"item": "A001", "qty": "1", "unit_price": "1.00"}]})):
        api = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(users[role], 't')[1]}")
        r = api.post("/api/documents", json.dumps(doc), content_type="application/json")
        assert r.status_code == 403 and r.json()["error"] == "not_allowed", r.content
    # a warehouse clerk limited to E1 may scrap in E1 but not in N1
    from stockbook.access.models import Scope
    from stockbook.masterdata.models import Warehouse

    clerk = users["仓库"]
    Scope.objects.create(user=clerk).warehouses.add(Warehouse.objects.get(code="E1"))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(clerk, 't2')[1]}")
    r = api.post("/api/documents", json.dumps({"type": "scrap", "ref": "X3", "date": "2026-01-20", "warehouse": "N1",
                                               "lines": [{"item": "A001", "qty": "1"}]}), content_type="application/json")
    assert r.status_code == 403 and "N1" in r.json()["message"]
    assert (Document.objects.count(), Voucher.objects.count()) == before
    r = api.post("/api/documents", json.dumps({"type": "scrap", "ref": "X4", "date": "2026-01-20", "warehouse": "E1",
                                               "lines": [{"item": "A001", "qty": "1"}]}), content_type="application/json")
    assert r.status_code == 201, r.content
