"""Offline API docs: Swagger UI from the files django-ninja ships, served by the API itself.

ninja's own docs page falls back to a CDN when "ninja" is not in INSTALLED_APPS; this page never links to
another host: the bundle, css, init script and favicons come from /api/docs/assets/<name>.
"""
import json
from pathlib import Path

import ninja
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from ninja import Router
from ninja.openapi.docs import DocsBase

from .api_common import not_found

ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "swagger-ui-init.js": "application/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
    "favicon.svg": "image/svg+xml",
}

docs_router = Router(tags=["docs"])


@docs_router.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request, name: str):
    if name not in ASSETS or not (ASSET_DIR / name).is_file():
        return not_found(f"没有这个文件：{name}")
    resp = HttpResponse((ASSET_DIR / name).read_bytes(), content_type=ASSETS[name])
    resp["Cache-Control"] = "public, max-age=86400"
    return resp


def _asset(name):
    return escape(reverse("api:docs_asset", kwargs={"name": name}))


class OfflineSwagger(DocsBase):
    settings = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "validatorUrl": None,  # the default would call validator.swagger.io
        "persistAuthorization": True,
    }

    def render_page(self, request, api, **kwargs):
        cfg = dict(self.settings, url=self.get_openapi_url(api, kwargs))
        cfg_json = json.dumps(cfg).replace("</", "<\\/")
        html = f"""<!DOCTYPE html>
<html lang="zh-hans">
<head>
  <meta charset="utf-8">
  <title>{escape(api.title)}</title>
  <link rel="stylesheet" type="text/css" href="{_asset('swagger-ui.css')}">
  <link rel="icon" type="image/svg+xml" href="{_asset('favicon.svg')}">
  <link rel="icon" type="image/png" href="{_asset('favicon.png')}">
</head>
<body data-csrf-token="{escape(get_token(request))}" data-api-csrf="true">
  <script type="application/json" id="swagger-settings">{cfg_json}</script>
  <div id="swagger-ui"></div>
  <script src="{_asset('swagger-ui-bundle.js')}"></script>
  <script src="{_asset('swagger-ui-init.js')}"></script>
</body>
</html>
"""
        return HttpResponse(html, content_type="text/html; charset=utf-8")
