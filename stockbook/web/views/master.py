"""Master data pages: list (search, active filter, paging), create through post(), edit, enable/disable, delete."""
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from stockbook.core.errors import DocError
from stockbook.masterdata.models import Customer, Item, Supplier, Warehouse
from stockbook.posting.service import post

from ..forms import CustomerForm, ItemForm, SupplierForm, WarehouseForm
from ..templatetags.web_tags import money, qty
from .common import apply_doc_error, paginate


def _region(o):
    return o.region.name if o.region else ""


KINDS = {
    "warehouses": {
        "model": Warehouse, "form": WarehouseForm, "title": gettext_lazy("Warehouses"), "one": gettext_lazy("Warehouse"),
        "search": ["code", "name", "address", "region__name"], "related": ["region"],
        "columns": [(gettext_lazy("Region"), _region, ""), (gettext_lazy("Address"), lambda o: o.address, "")],
    },
    "items": {
        "model": Item, "form": ItemForm, "title": gettext_lazy("Items"), "one": gettext_lazy("Item"),
        "search": ["code", "name", "spec", "barcodes__code", "category__name"], "related": ["category", "account"],
        "columns": [
            (gettext_lazy("Specification"), lambda o: o.spec, ""),
            (gettext_lazy("Category"), lambda o: o.category.name if o.category else "", ""),
            (gettext_lazy("Unit"), lambda o: o.uom, ""),
            (gettext_lazy("Account"), lambda o: o.account.code, ""),
            (gettext_lazy("Safety stock"), lambda o: (f"{qty(o.safety_min)} – {qty(o.safety_max)}"
                                                       if o.safety_min is not None or o.safety_max is not None else ""), "num"),
        ],
    },
    "suppliers": {
        "model": Supplier, "form": SupplierForm, "title": gettext_lazy("Suppliers"), "one": gettext_lazy("Supplier"),
        "search": ["code", "name", "contact", "phone", "tax_id"], "related": [],
        "columns": [(gettext_lazy("Contact"), lambda o: o.contact, ""), (gettext_lazy("Phone"), lambda o: o.phone, ""),
                    (gettext_lazy("Payment terms (days)"), lambda o: o.payment_terms if o.payment_terms is not None else "", "num")],
    },
    "customers": {
        "model": Customer, "form": CustomerForm, "title": gettext_lazy("Customers"), "one": gettext_lazy("Customer"),
        "search": ["code", "name", "contact", "phone", "tax_id"], "related": [],
        "columns": [(gettext_lazy("Contact"), lambda o: o.contact, ""), (gettext_lazy("Phone"), lambda o: o.phone, ""),
                    (gettext_lazy("Credit limit"), lambda o: money(o.credit_limit), "num")],
    },
}


def _kind(kind):
    try:
        return KINDS[kind]
    except KeyError:
        raise Http404(kind)


def master_list(request, kind):
    k = _kind(kind)
    qs = k["model"].objects.select_related(*k["related"]).order_by("code")
    if kind == "warehouses":
        from stockbook.access.policy import visible_warehouses

        qs = visible_warehouses(request.user, qs)
    q = request.GET.get("q", "").strip()
    if q:
        cond = Q()
        for f in k["search"]:
            cond |= Q(**{f"{f}__icontains": q})
        qs = qs.filter(cond).distinct()
    status = request.GET.get("status", "")
    if status == "active":
        qs = qs.filter(active=True)
    elif status == "disabled":
        qs = qs.filter(active=False)
    page = paginate(request, qs)
    rows = [{"obj": o, "cells": [(fn(o), cls) for _label, fn, cls in k["columns"]]} for o in page]
    return render(request, "web/master_list.html", {
        "kind": kind, "k": k, "page": page, "rows": rows, "q": q, "status": status,
        "headers": [(label, cls) for label, _fn, cls in k["columns"]],
    })


def master_create(request, kind):
    k = _kind(kind)
    form = k["form"](request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post(form.to_doc(), user=request.user, source="web")
        except DocError as e:
            apply_doc_error(form, e)
        else:
            obj = k["model"].objects.get(code=form.cleaned_data["code"])
            messages.success(request, _("%(kind)s %(code)s created.") % {"kind": k["one"], "code": obj.code})
            return redirect("web:master_list", kind=kind)
    return render(request, "web/master_form.html", {"kind": kind, "k": k, "form": form, "creating": True, **_extra(kind)})


def master_edit(request, kind, pk):
    k = _kind(kind)
    obj = get_object_or_404(k["model"], pk=pk)
    form = k["form"](request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        form.apply(obj)
        messages.success(request, _("%(kind)s %(code)s saved.") % {"kind": k["one"], "code": obj.code})
        return redirect("web:master_list", kind=kind)
    return render(request, "web/master_form.html", {"kind": kind, "k": k, "form": form, "obj": obj, "creating": False,
                                                    **_extra(kind)})


def _extra(kind):
    if kind != "items":
        return {}
    from stockbook.ledger.models import Account

    return {"account_codes": Account.objects.filter(active=True, code__startswith="14").values_list("code", "name")}


def _back(request, kind):
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("web:master_list", kind=kind)


@require_POST
def master_toggle(request, kind, pk):
    k = _kind(kind)
    obj = get_object_or_404(k["model"], pk=pk)
    obj.active = not obj.active
    obj.save(update_fields=["active", "updated_at"])
    msg = _("%(code)s enabled.") if obj.active else _("%(code)s disabled.")
    messages.success(request, msg % {"code": obj.code})
    return _back(request, kind)


@require_POST
def master_delete(request, kind, pk):
    k = _kind(kind)
    obj = get_object_or_404(k["model"], pk=pk)
    code = obj.code
    if obj.safe_delete() == "deleted":
        messages.success(request, _("%(code)s deleted.") % {"code": code})
    else:
        messages.warning(request, _("%(code)s is used by documents, so it was disabled instead of deleted.") % {"code": code})
    return redirect("web:master_list", kind=kind)
