"""The channel form: a robot's settings are checked the way the platform would check them before saving."""
from django import forms
from django.utils.translation import gettext_lazy as _

from stockbook.core.errors import DocError

from .events import EVENTS
from .models import CHANNEL_KINDS, Channel
from .service import validate_channel


class ChannelForm(forms.ModelForm):
    url = forms.CharField(label=_("Webhook address"), max_length=1000,
                          widget=forms.TextInput(attrs={"placeholder": "https://", "autocomplete": "off"}))
    secret = forms.CharField(label=_("Secret"), max_length=200, required=False, strip=True,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    events = forms.MultipleChoiceField(label=_("Events"), required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text=_("None ticked: every event."))

    class Meta:
        model = Channel
        fields = ["name", "kind", "url", "sign", "secret", "enabled", "events"]
        labels = {"name": _("Name"), "kind": _("Type"), "sign": _("Signing (钉钉 加签 / 飞书 签名校验 / webhook)"),
                  "enabled": _("Enabled")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = CHANNEL_KINDS
        self.fields["events"].choices = [(code, label) for code, label in EVENTS.items() if code != "notify.test"]
        if self.instance.pk and self.instance.secret:
            self.fields["secret"].help_text = _("A secret is saved; leave empty to keep it.")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("secret") and self.instance.pk and self.instance.secret and data.get("sign"):
            data["secret"] = self.instance.secret  # empty = keep the saved secret
        try:
            validate_channel(data["kind"], data["url"], data.get("sign", False), data.get("secret", ""))
        except DocError as e:
            self.add_error(e.field if e.field in self.fields else None, e.message)
        if data.get("kind") == "wecom":
            data["secret"] = ""
        return data


class PreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("Also send my notifications by email"), required=False)
