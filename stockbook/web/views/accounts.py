"""Chart of accounts: the tree with levels, adding a sub-account through post(), renaming/disabling own accounts."""
from django.contrib import messages
from django.db.models import ProtectedError, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from stockbook.core.errors import DocError
from stockbook.ledger.models import Account
from stockbook.posting.service import post

from ..forms import AccountEditForm, AccountForm
from .common import apply_doc_error


CATEGORIES = {"asset": gettext_lazy("Assets"), "liability": gettext_lazy("Liabilities"), "equity": gettext_lazy("Equity"),
              "cost": gettext_lazy("Costs"), "pl": gettext_lazy("Profit and loss"), "common": gettext_lazy("Common")}


def account_list(request):
    qs = Account.objects.order_by("code")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(name__icontains=q))
    level = request.GET.get("level", "")
    if level.isdigit():
        qs = qs.filter(level__lte=int(level))
    status = request.GET.get("status", "")
    if status == "active":
        qs = qs.filter(active=True)
    elif status == "disabled":
        qs = qs.filter(active=False)
    accounts = list(qs)
    for a in accounts:
        a.category_label = CATEGORIES.get(a.category, a.category)
    with_children = set(Account.objects.filter(parent__isnull=False).values_list("parent_id", flat=True))
    levels = sorted(set(Account.objects.values_list("level", flat=True)))
    return render(request, "web/accounts.html", {
        "accounts": accounts, "with_children": with_children, "q": q, "level": level, "levels": levels, "status": status,
    })


def account_create(request):
    initial = {}
    parent_code = request.GET.get("parent", "")
    if parent_code:
        parent = Account.objects.filter(code=parent_code).first()
        if parent:
            taken = set(Account.objects.filter(parent=parent).values_list("code", flat=True))
            suggestion = next((f"{parent.code}{n:02d}" for n in range(1, 100) if f"{parent.code}{n:02d}" not in taken), "")
            initial = {"parent": parent.code, "code": suggestion, "name": ""}
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            post(form.to_doc(), user=request.user, source="web")
        except DocError as e:
            apply_doc_error(form, e)
        else:
            messages.success(request, _("Account %(code)s created.") % {"code": form.cleaned_data["code"]})
            return redirect("web:account_list")
    codes = Account.objects.filter(active=True).order_by("code").values_list("code", "name")
    return render(request, "web/account_form.html", {"form": form, "creating": True, "codes": codes})


def account_edit(request, pk):
    acc = get_object_or_404(Account, pk=pk)
    form = AccountEditForm(request.POST or None, initial={"name": acc.name, "active": acc.active})
    if acc.builtin:
        form.fields["name"].disabled = True
    if request.method == "POST" and form.is_valid():
        if not acc.builtin:
            acc.name = form.cleaned_data["name"]
        acc.active = form.cleaned_data["active"]
        acc.save(update_fields=["name", "active"])
        messages.success(request, _("Account %(code)s saved.") % {"code": acc.code})
        return redirect("web:account_list")
    return render(request, "web/account_form.html", {"form": form, "creating": False, "acc": acc})


@require_POST
def account_delete(request, pk):
    acc = get_object_or_404(Account, pk=pk)
    if acc.builtin:
        messages.error(request, _("Accounts of the chart itself cannot be deleted; disable them instead."))
        return redirect("web:account_edit", pk=pk)
    try:
        acc.delete()
        messages.success(request, _("Account %(code)s deleted.") % {"code": acc.code})
    except ProtectedError:
        acc.active = False
        acc.save(update_fields=["active"])
        messages.warning(request, _("Account %(code)s is used, so it was disabled instead of deleted.") % {"code": acc.code})
    return redirect("web:account_list")
