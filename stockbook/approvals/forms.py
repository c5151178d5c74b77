"""Workflow configuration forms: the workflow (type, amount range in 元, priority) and its steps."""
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money, parse_money, to_fen

from .gate import GATED_TYPES
from .models import MODES, ApprovalSettings, Workflow


def doc_type_choices():
    from stockbook.posting.service import TYPE_NAMES

    return [(t, TYPE_NAMES.get(t, t)) for t in sorted(GATED_TYPES, key=lambda t: list(TYPE_NAMES).index(t) if t in TYPE_NAMES else 99)]


class YuanField(forms.CharField):
    """An amount in 元 ("50000.00") ↔ integer 分; empty = no bound."""

    def to_python(self, value):
        value = (super().to_python(value) or "").replace(",", "").strip()
        if not value:
            return None
        try:
            return to_fen(parse_money(value, "amount", allow_zero=True))
        except DocError as e:
            raise forms.ValidationError(e.message)

    def prepare_value(self, value):
        return fmt_money(value) if isinstance(value, int) else value


class WorkflowForm(forms.ModelForm):
    doc_type = forms.ChoiceField(label=_("Document type"), choices=doc_type_choices)
    min_amount = YuanField(label=_("Amount from (inclusive)"), required=False, help_text=_("元; empty = no lower bound"))
    max_amount = YuanField(label=_("Amount below (exclusive)"), required=False, help_text=_("元; empty = no upper bound"))

    class Meta:
        model = Workflow
        fields = ["name", "doc_type", "min_amount", "max_amount", "priority", "active"]
        labels = {"name": _("Name"), "priority": _("Priority"), "active": _("Active")}
        help_texts = {"priority": _("When several workflows match, the highest priority applies.")}

    def clean(self):
        data = super().clean()
        lo, hi = data.get("min_amount"), data.get("max_amount")
        if lo is not None and hi is not None and lo >= hi:
            self.add_error("max_amount", _("The upper bound must be above the lower bound."))
        return data


def _user_label(u):
    full = f"{u.last_name}{u.first_name}".strip()
    return f"{full}（{u.get_username()}）" if full else u.get_username()


class UserChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _user_label(obj)


class StepForm(forms.Form):
    name = forms.CharField(label=_("Step name"), max_length=100, required=False)
    mode = forms.ChoiceField(label=_("Mode"), choices=MODES)
    roles = forms.ModelMultipleChoiceField(label=_("Approver roles"), queryset=Group.objects.order_by("id"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    users = UserChoices(label=_("Approvers"), queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
                        required=False, widget=forms.SelectMultiple(attrs={"size": 4}))
    timeout_hours = forms.IntegerField(label=_("Timeout (hours)"), min_value=1, max_value=24 * 90, required=False)
    escalate_to_role = forms.ModelChoiceField(label=_("On timeout escalate to role"), queryset=Group.objects.order_by("id"),
                                              required=False, empty_label=_("(the next level)"))

    def clean(self):
        data = super().clean()
        if not data.get("DELETE") and not data.get("roles") and not data.get("users") and not _blank(data):
            raise forms.ValidationError(_("Choose at least one approver role or approver."))
        return data


def _blank(d) -> bool:
    """A step form left empty (the mode select always has a value): ignored."""
    return not any(d.get(k) for k in ("roles", "users", "name", "timeout_hours", "escalate_to_role"))


class BaseStepFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        steps = self.steps()
        if not steps:
            raise forms.ValidationError(_("A workflow needs at least one step."))
        last = steps[-1]
        if last.get("timeout_hours") and not last.get("escalate_to_role"):
            raise forms.ValidationError(_("The last step has no next level: choose the role to escalate to on timeout, or clear its timeout."))

    def steps(self):
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE") and not _blank(f.cleaned_data)]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=1, can_delete=True, max_num=20, validate_max=True)


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ApprovalSettings
        fields = ["allow_self_approval"]
        labels = {"allow_self_approval": _("Allow the maker to approve their own documents (one-person company)")}
        help_texts = {"allow_self_approval": _("Off: whoever submitted a document can never approve it (segregation of duties).")}


class DecisionForm(forms.Form):
    level = forms.IntegerField(widget=forms.HiddenInput)
    password = forms.CharField(label=_("Password (e-signature)"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
