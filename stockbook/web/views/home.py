"""Dashboard and company settings (the document page is views/documents.py)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from stockbook.core.errors import DocError
from stockbook.ledger.models import Account, Period, Voucher
from stockbook.masterdata.models import Company, Customer, Item, Supplier, Warehouse
from stockbook.posting.service import post

from ..forms import CompanyEditForm, CompanyForm
from .common import apply_doc_error, current_open_period


def home(request):
    from stockbook.access import policy

    company = Company.current()
    open_p = current_open_period()
    books = policy.can_read_books(request.user)
    warehouses = policy.visible_warehouses(request.user, Warehouse.objects.filter(active=True))
    counts = [
        (_("Items"), Item.objects.filter(active=True).count(), reverse("web:master_list", args=["items"])),
        (_("Warehouses"), warehouses.count(), reverse("web:master_list", args=["warehouses"])),
        (_("Suppliers"), Supplier.objects.filter(active=True).count(), reverse("web:master_list", args=["suppliers"])),
        (_("Customers"), Customer.objects.filter(active=True).count(), reverse("web:master_list", args=["customers"])),
    ]
    if books:  # the books are whole-company money: only for those who may read them
        counts += [(_("Accounts"), Account.objects.filter(active=True).count(), reverse("web:account_list")),
                   (_("Vouchers"), Voucher.objects.count(), reverse("web:voucher_list"))]
    ctx = {"company": company, "open_period": open_p, "counts": counts, "books": books,
           "open_vouchers": Voucher.objects.filter(period=open_p).count() if open_p and books else 0,
           "last_closed": Period.objects.filter(status=Period.CLOSED).order_by("-period").first(),
           "recent": Voucher.objects.order_by("-created_at", "-id")[:8] if books else []}
    return render(request, "web/home.html", ctx)


def company(request):
    comp = Company.current()
    if comp is None:
        form = CompanyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                post(form.to_doc(), user=request.user, source="web")
            except DocError as e:
                apply_doc_error(form, e)
            else:
                messages.success(request, _("Company created with its chart of accounts."))
                return redirect("web:company")
        return render(request, "web/company.html", {"form": form, "company": None})
    form = CompanyEditForm(request.POST or None, initial={"name": comp.name, "tax_id": comp.tax_id, "grni_method": comp.grni_method})
    if request.method == "POST" and form.is_valid():
        from stockbook.posting import grni

        method = form.cleaned_data.get("grni_method") or comp.grni_method
        try:
            if method != comp.grni_method:
                grni.set_method(method, user=request.user)
        except DocError as e:
            form.add_error("grni_method", e.message)
        else:
            comp.refresh_from_db()
            comp.name = form.cleaned_data["name"]
            comp.tax_id = form.cleaned_data["tax_id"]
            comp.save(update_fields=["name", "tax_id"])
            messages.success(request, _("Company settings saved."))
            return redirect("web:company")
    return render(request, "web/company.html", {"form": form, "company": comp})
