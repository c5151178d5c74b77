"""角色与权限: the role × capability matrix (editable; every change is in the audit trail through the
permission signals) and each user's roles and data scope."""
from django.contrib import messages
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from stockbook.masterdata.models import Region, Warehouse

from .models import CAPABILITIES, Scope
from .roles import ROLES, reset_role


def _cap_perms() -> dict[str, Permission]:
    return {p.codename: p for p in Permission.objects.filter(content_type__app_label="access")}


def roles(request):
    perms = _cap_perms()
    groups = list(Group.objects.order_by("id").prefetch_related("permissions"))
    if request.method == "POST":
        with transaction.atomic():
            reset = request.POST.get("reset")
            for g in groups:
                if reset and reset == str(g.pk):
                    reset_role(g)
                    continue
                if reset:
                    continue
                have = {p.codename for p in g.permissions.all() if p.content_type.app_label == "access"}
                want = {c for c in CAPABILITIES if request.POST.get(f"g{g.pk}:{c}")}
                add = [perms[c] for c in sorted(want - have) if c in perms]
                remove = [perms[c] for c in sorted(have - want) if c in perms]
                if add:
                    g.permissions.add(*add)
                if remove:
                    g.permissions.remove(*remove)
        messages.success(request, _("Roles saved."))
        return redirect("access:roles")
    matrix = []
    for c, label in CAPABILITIES.items():
        matrix.append({"code": c, "label": label,
                       "cells": [(g.pk, any(p.codename == c and p.content_type.app_label == "access" for p in g.permissions.all()))
                                 for g in groups]})
    return render(request, "access/roles.html", {"groups": groups, "matrix": matrix, "builtin": set(ROLES)})


def users(request):
    rows = []
    for u in User.objects.order_by("username").prefetch_related("groups"):
        scope = Scope.objects.filter(user=u).prefetch_related("regions", "warehouses").first()
        where = []
        if scope is not None:
            where = [r.name for r in scope.regions.all()] + [w.name for w in scope.warehouses.all()]
        rows.append({"user": u, "groups": [g.name for g in u.groups.all()], "scope": where})
    return render(request, "access/users.html", {"rows": rows})


def user_edit(request, pk):
    u = get_object_or_404(User, pk=pk)
    scope, _created = Scope.objects.get_or_create(user=u)
    if request.method == "POST":
        with transaction.atomic():
            u.groups.set(Group.objects.filter(pk__in=request.POST.getlist("groups")))
            scope.regions.set(Region.objects.filter(pk__in=request.POST.getlist("regions")))
            scope.warehouses.set(Warehouse.objects.filter(pk__in=request.POST.getlist("warehouses")))
            active = bool(request.POST.get("is_active"))
            if u.pk == request.user.pk and not active:
                messages.error(request, _("You cannot disable yourself."))
                return redirect("access:user_edit", pk=u.pk)
            if u.is_active != active:
                u.is_active = active
                u.save(update_fields=["is_active"])
        messages.success(request, _("User saved."))
        return redirect("access:users")
    return render(request, "access/user_edit.html", {
        "u": u, "groups": Group.objects.order_by("id"), "mine": set(u.groups.values_list("pk", flat=True)),
        "regions": Region.objects.order_by("code"), "my_regions": set(scope.regions.values_list("pk", flat=True)),
        "warehouses": Warehouse.objects.order_by("code"), "my_warehouses": set(scope.warehouses.values_list("pk", flat=True)),
    })
