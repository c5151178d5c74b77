"""OpenAPI schema and Swagger UI docs that work offline (no URL to another host)."""
import re

import pytest
from django.test import Client


def test_openapi_json(db):
    r = Client().get("/api/openapi.json")
    assert r.status_code == 200
    s = r.json()
    assert s["openapi"].startswith("3.")
    assert s["info"]["title"] == "Stockbook API"
    paths = s["paths"]
    for p in ["/api/documents", "/api/documents/{type}/{ref}", "/api/items", "/api/items/{code}", "/api/vouchers",
              "/api/vouchers/{voucher_id}", "/api/reports/{name}", "/api/periods", "/api/periods/{period}/reopen"]:
        assert p in paths, p
    assert set(paths["/api/items/{code}"]) == {"get", "patch", "delete"}
    body = paths["/api/documents"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["type"] == "object" and "journal" in body["properties"]["type"]["enum"]
    schemes = s["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionCsrfAuth"]["in"] == "cookie"
    for path, ops in paths.items():
        for method, op in ops.items():
            assert op.get("security"), (method, path)  # every data endpoint requires auth
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_openapi_is_valid_by_schemathesis(db):
    schemathesis = pytest.importorskip("schemathesis")
    from stockbook.interchange.api import api

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) >= 20


EXTERNAL = re.compile(r"""(?:https?:)?//(?!testserver)[a-z0-9.-]+""", re.I)


def test_docs_page_is_offline(db):
    c = Client()
    r = c.get("/api/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui" in html
    # no URL to another host: not in src/href, not anywhere
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "cdn" not in html.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 5
    for url in assets:
        assert url.startswith("/api/docs/assets/")
        a = c.get(url)
        assert a.status_code == 200 and len(a.content) > 100, url
    assert '"url": "/api/openapi.json"' in html
    assert '"validatorUrl": null' in html


def test_docs_assets_only_the_known_files(db):
    c = Client()
    for name in ("../__init__.py", "..%2F__init__.py", "redoc.standalone.js.map", "nope.js"):
        assert c.get(f"/api/docs/assets/{name}").status_code == 404


def test_docs_swagger_gets_csrf_for_session_users(user):
    c = Client()
    c.force_login(user)
    html = c.get("/api/docs").content.decode()
    token = re.search(r'data-csrf-token="([^"]+)"', html).group(1)
    assert token and 'data-api-csrf="true"' in html
