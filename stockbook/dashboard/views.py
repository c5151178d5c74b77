"""对账看板: the page and its JSON data endpoints.

Every endpoint needs a logged-in user with ``view_stock_reports`` (else 403 JSON), reads the filters with
``filters.parse`` (bad values: 400 JSON with a Chinese message; a warehouse or region outside the user's
scope: 403) and returns a payload of ``data.py`` — built for the user's data scope, without money for a
user without ``view_cost``."""
import json
import time
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from stockbook.access import policy
from stockbook.access.web import requires

from . import data
from .filters import FilterError, parse


def _error(status, code, message, field=""):
    body = {"error": code, "message": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def endpoint(view):
    """Login + view_stock_reports, the filters parsed, the books version read once, JSON out."""
    @wraps(view)
    @never_cache
    @require_GET
    def wrapper(request):
        user = request.user
        if not user.is_authenticated:
            return _error(401, "not_authenticated", "请先登录")
        r = data.rights(user)
        if not r["stock_reports"]:
            return _error(403, "not_allowed", "您没有权限：库存报表（对账看板）")
        try:
            f = parse(user, request.GET, rights=r)
        except FilterError as e:
            return _error(e.status, "invalid_value" if e.status == 400 else "not_allowed", e.message, e.field)
        t0 = time.perf_counter()
        ver = data.version()
        body = view(request, f, ver)  # the payload's JSON, encoded once per books version
        tail = json.dumps({"version": ver, "as_of": f.as_of.isoformat(), "ms": round((time.perf_counter() - t0) * 1000, 1)})
        resp = HttpResponse(body[:-1] + b"," + tail[1:].encode(), content_type="application/json; charset=utf-8")
        return resp
    return wrapper


@endpoint
def overview(request, f, ver):
    return data.memo("overview", f, ver, lambda: data.overview(f, request.user), extra=(request.user.pk,))


@endpoint
def by_warehouse(request, f, ver):
    return data.memo("by_warehouse", f, ver, lambda: data.by_warehouse(f))


@endpoint
def heatmap(request, f, ver):
    return data.memo("heatmap", f, ver, lambda: data.heatmap(f))


@endpoint
def trend(request, f, ver):
    return data.memo("trend", f, ver, lambda: data.trend(f))


@endpoint
def details(request, f, ver):
    return data.memo("details", f, ver, lambda: data.details(f, request.user), extra=(request.user.pk,))


@endpoint
def my_cases(request, f, ver):
    return data.memo("my_cases", f, ver, lambda: data.my_cases(f, request.user), extra=(request.user.pk,))


@never_cache
@require_GET
def version(request):
    """The tiny endpoint the page polls: the books version (changes with every posting)."""
    if not request.user.is_authenticated:
        return _error(401, "not_authenticated", "请先登录")
    if not data.rights(request.user)["stock_reports"]:
        return _error(403, "not_allowed", "您没有权限：库存报表（对账看板）")
    return JsonResponse({"version": data.version()})


@requires("view_stock_reports")
def page(request):
    from stockbook.masterdata.models import Category, Customer, Region, Supplier, Warehouse

    error, status = None, 200
    try:
        f = parse(request.user, request.GET)
    except FilterError as e:
        error, status = e.message, e.status
        f = parse(request.user, {})
    whs = list(policy.visible_warehouses(request.user, Warehouse.objects.filter(active=True).select_related("region").order_by("code")))
    region_ids = {w.region_id for w in whs if w.region_id}
    ctx = {
        "f": f, "error": error, "query": f.query(),
        "warehouses": whs,
        "regions": Region.objects.filter(pk__in=region_ids).order_by("code"),
        "categories": Category.objects.filter(active=True).order_by("code") if hasattr(Category, "active") else Category.objects.order_by("code"),
        "suppliers": Supplier.objects.filter(active=True).order_by("code") if f.books else [],
        "customers": Customer.objects.filter(active=True).order_by("code") if f.books else [],
        "scoped": f.scope is not None,
        "cases_app": data._cases()[0] is not None,
    }
    return render(request, "dashboard/index.html", ctx, status=status)
