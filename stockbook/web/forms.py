"""Forms of the web app. Creating master data builds an interchange document for ``post()``
(``to_doc``); editing changes the record directly (``apply``), never its code."""
from django import forms
from django.utils.translation import gettext_lazy as _

from stockbook.core.errors import DocError
from stockbook.core.money import parse_money, parse_qty, parse_rate, to_fen, to_qty_units
from stockbook.masterdata.models import COSTING_METHODS, Barcode, Category, Region

from .views.common import clean_amount


def _text(label, required=False, max_length=200, help_text="", **kw):
    return forms.CharField(label=label, required=required, max_length=max_length, help_text=help_text, **kw)


def _region(name: str):
    if not name:
        return None
    region, _ = Region.objects.get_or_create(code=name, defaults={"name": name})
    return region


class MasterForm(forms.Form):
    """Common base: ``code`` is only editable when creating; ``active`` only when editing."""

    code = _text(_("Code"), required=True, max_length=64)
    name = _text(_("Name"), required=True)
    doc_type = ""
    locked_on_edit = ("code",)  # fields shown but not changed when editing

    def __init__(self, *args, instance=None, **kw):
        self.instance = instance
        if instance is not None:
            kw.setdefault("initial", self.initial_from(instance))
        super().__init__(*args, **kw)
        if instance is None:
            self.fields.pop("active", None)
        else:
            for f in self.locked_on_edit:
                if f in self.fields:
                    self.fields[f].disabled = True
                    self.fields[f].required = False

    # -- create -----------------------------------------------------------------------------
    def to_doc(self) -> dict:
        doc = {"type": self.doc_type}
        for k, v in self.cleaned_data.items():
            if k == "active" or v in (None, "", [], {}):
                continue
            doc[k] = v
        return doc

    # -- edit -------------------------------------------------------------------------------
    def initial_from(self, obj) -> dict:
        return {name: getattr(obj, name, None) for name in self.base_fields}

    def apply(self, obj):
        for k, v in self.cleaned_data.items():
            if k in self.locked_on_edit:
                continue
            setattr(obj, k, v)
        obj.save()
        return obj


class WarehouseForm(MasterForm):
    region = _text(_("Region"), max_length=100)
    address = _text(_("Address"))
    active = forms.BooleanField(label=_("Active"), required=False)
    doc_type = "warehouse"

    def initial_from(self, obj):
        d = super().initial_from(obj)
        d["region"] = obj.region.name if obj.region else ""
        return d

    def apply(self, obj):
        self.cleaned_data["region"] = _region(self.cleaned_data.get("region"))
        return super().apply(obj)


class PartyForm(MasterForm):
    tax_id = _text(_("Taxpayer ID"), max_length=32)
    contact = _text(_("Contact"), max_length=100)
    phone = _text(_("Phone"), max_length=50)
    address = _text(_("Address"))
    region = _text(_("Region"), max_length=100)
    payment_terms = forms.IntegerField(label=_("Payment terms (days)"), required=False, min_value=0, max_value=3650)
    active = forms.BooleanField(label=_("Active"), required=False)

    def initial_from(self, obj):
        d = super().initial_from(obj)
        d["region"] = obj.region.name if obj.region else ""
        return d

    def apply(self, obj):
        self.cleaned_data["region"] = _region(self.cleaned_data.get("region"))
        return super().apply(obj)


class SupplierForm(PartyForm):
    doc_type = "supplier"


class CustomerForm(PartyForm):
    credit_limit = _text(_("Credit limit"), max_length=20, help_text=_("Yuan; empty means no limit"))
    doc_type = "customer"

    field_order = ["code", "name", "tax_id", "contact", "phone", "address", "region", "payment_terms", "credit_limit", "active"]

    def clean_credit_limit(self):
        v = clean_amount(self.cleaned_data.get("credit_limit"))
        if v and self.instance is not None:
            try:
                parse_money(v, "credit_limit", allow_zero=True)
            except DocError as e:
                raise forms.ValidationError(e.message)
        return v

    def initial_from(self, obj):
        d = super().initial_from(obj)
        d["credit_limit"] = "" if obj.credit_limit is None else f"{obj.credit_limit / 100:.2f}"
        return d

    def apply(self, obj):
        v = self.cleaned_data.get("credit_limit")
        self.cleaned_data["credit_limit"] = to_fen(parse_money(v, "credit_limit", allow_zero=True)) if v else None
        return super().apply(obj)


class ItemForm(MasterForm):
    spec = _text(_("Specification"))
    category = _text(_("Category"), max_length=100)
    uom = _text(_("Base unit"), required=True, max_length=20, help_text=_("e.g. kg, 个"))
    units = _text(_("Other units"), max_length=200, help_text=_("name=factor, comma separated, e.g. t=1000"))
    tax_rate = _text(_("Tax rate"), max_length=10, help_text=_("decimal, e.g. 0.13"))
    account = _text(_("Inventory account"), max_length=32, help_text=_("1405 goods, 1403 materials; empty = 1405"),
                    widget=forms.TextInput(attrs={"list": "account-codes", "autocomplete": "off"}))
    costing_method = forms.ChoiceField(label=_("Costing method"), required=False,
                                       choices=[("", _("Company default"))] + COSTING_METHODS)
    barcodes = _text(_("Barcodes"), max_length=500, help_text=_("comma or space separated"))
    safety_min = _text(_("Safety stock min"), max_length=20)
    safety_max = _text(_("Safety stock max"), max_length=20)
    active = forms.BooleanField(label=_("Active"), required=False)
    doc_type = "item"
    locked_on_edit = ("code", "uom", "units", "account", "costing_method")

    def clean_units(self):
        raw = (self.cleaned_data.get("units") or "").strip()
        if self.instance is not None or not raw:
            return raw
        units = {}
        for part in raw.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise forms.ValidationError(_("Write each unit as name=factor, e.g. t=1000"))
            n, f = (s.strip() for s in part.split("=", 1))
            units[n] = clean_amount(f)
        return units

    def clean_barcodes(self):
        raw = (self.cleaned_data.get("barcodes") or "").replace("，", ",").replace(",", " ")
        codes = [c for c in raw.split() if c]
        if self.instance is not None:
            if len(set(codes)) != len(codes):
                raise forms.ValidationError(_("A barcode is listed twice."))
            taken = Barcode.objects.filter(code__in=codes).exclude(item=self.instance).values_list("code", flat=True)
            if taken:
                raise forms.ValidationError(_("Barcode already used by another item: %(codes)s") % {"codes": ", ".join(taken)})
        return codes

    def _check(self, name, parser):
        v = clean_amount(self.cleaned_data.get(name))
        if v and self.instance is not None:
            try:
                parser(v, name)
            except DocError as e:
                raise forms.ValidationError(e.message)
        return v

    def clean_tax_rate(self):
        return self._check("tax_rate", parse_rate)

    def clean_safety_min(self):
        return self._check("safety_min", lambda v, f: parse_qty(v, f, allow_zero=True))

    def clean_safety_max(self):
        return self._check("safety_max", lambda v, f: parse_qty(v, f, allow_zero=True))

    def clean(self):
        data = super().clean()
        if self.instance is not None:
            lo, hi = data.get("safety_min"), data.get("safety_max")
            if lo and hi and parse_qty(lo, allow_zero=True) > parse_qty(hi, allow_zero=True):
                self.add_error("safety_max", _("The safety stock minimum cannot be above the maximum."))
        return data

    def initial_from(self, obj):
        from stockbook.core.money import fmt_qty

        return {
            "code": obj.code, "name": obj.name, "spec": obj.spec, "category": obj.category.name if obj.category else "",
            "uom": obj.uom, "units": ", ".join(f"{u.name}={fmt_qty(u.factor)}" for u in obj.units.all()),
            "tax_rate": "" if obj.tax_rate is None else format(obj.tax_rate.normalize(), "f"),
            "account": obj.account.code, "costing_method": obj.costing_method,
            "barcodes": " ".join(b.code for b in obj.barcodes.all()),
            "safety_min": "" if obj.safety_min is None else fmt_qty(obj.safety_min),
            "safety_max": "" if obj.safety_max is None else fmt_qty(obj.safety_max),
            "active": obj.active,
        }

    def apply(self, obj):
        d = self.cleaned_data
        obj.name = d["name"]
        obj.spec = d.get("spec") or ""
        cat = d.get("category")
        if cat:
            obj.category, _ = Category.objects.get_or_create(code=cat, defaults={"name": cat})
        else:
            obj.category = None
        obj.tax_rate = parse_rate(d["tax_rate"]) if d.get("tax_rate") else None
        obj.safety_min = to_qty_units(parse_qty(d["safety_min"], allow_zero=True)) if d.get("safety_min") else None
        obj.safety_max = to_qty_units(parse_qty(d["safety_max"], allow_zero=True)) if d.get("safety_max") else None
        obj.active = d.get("active", False)
        obj.save()
        codes = d.get("barcodes") or []
        obj.barcodes.exclude(code__in=codes).delete()
        have = set(obj.barcodes.values_list("code", flat=True))
        Barcode.objects.bulk_create([Barcode(item=obj, code=c) for c in codes if c not in have])
        return obj


class AccountForm(forms.Form):
    parent = _text(_("Parent account"), required=True, max_length=32,
                   widget=forms.TextInput(attrs={"list": "account-codes", "autocomplete": "off"}))
    code = _text(_("Code"), required=True, max_length=32, help_text=_("parent code + two digits, e.g. 560201"))
    name = _text(_("Name"), required=True)

    def to_doc(self):
        d = self.cleaned_data
        return {"type": "account", "code": d["code"].strip(), "name": d["name"], "parent": d["parent"].strip()}


class AccountEditForm(forms.Form):
    name = _text(_("Name"), required=True)
    active = forms.BooleanField(label=_("Active"), required=False)


class CompanyForm(forms.Form):
    code = _text(_("Code"), required=True, max_length=64)
    name = _text(_("Company name"), required=True)
    chart = forms.ChoiceField(label=_("Accounting standard"), choices=[
        ("small_enterprise", _("Small Enterprise Accounting Standards")), ("enterprise", _("Enterprise Accounting Standards"))])
    costing_method = forms.ChoiceField(label=_("Costing method"), choices=COSTING_METHODS, initial="moving_average")
    start_period = forms.CharField(label=_("Start period"), max_length=7, help_text=_("YYYY-MM, the first open month"))
    tax_id = _text(_("Taxpayer ID"), max_length=32)

    def to_doc(self):
        d = {k: v for k, v in self.cleaned_data.items() if v}
        d.update(type="company", currency="CNY")
        return d


class CompanyEditForm(forms.Form):
    name = _text(_("Company name"), required=True)
    tax_id = _text(_("Taxpayer ID"), max_length=32)
    # 暂估处理方式 (docs/contract-extensions.md §4): changeable only before the first purchase receipt / close
    grni_method = forms.ChoiceField(label="暂估处理方式", choices=[("difference", "单到补差（默认）"), ("reversal", "月初回冲")],
                                    required=False, help_text="只能在录入第一张采购入库单之前（且尚未结账）更改")
