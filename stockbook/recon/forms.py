import json

from django import forms

from .models import Cause, Rule, Threshold
from .rules import validate_conditions


class RuleForm(forms.ModelForm):
    conditions = forms.CharField(label="条件（JSON）", widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
                                 help_text='例如 {"side": "gl_only", "direction": "down", "ledger": "stock"}；取值为列表时任一匹配')

    class Meta:
        model = Rule
        fields = ["code", "name", "order", "active", "conditions", "cause", "action"]

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        if self.instance.pk:
            self.initial["conditions"] = json.dumps(self.instance.conditions, ensure_ascii=False)
            if self.instance.builtin:
                self.fields["code"].disabled = True

    def clean_conditions(self):
        text = self.cleaned_data["conditions"]
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError("条件不是合法的 JSON")
        problems = validate_conditions(value)
        if problems:
            raise forms.ValidationError(problems)
        return value


class CauseForm(forms.ModelForm):
    class Meta:
        model = Cause
        fields = ["code", "name", "name_en", "explanation", "fix"]
        widgets = {"explanation": forms.Textarea(attrs={"rows": 3}), "fix": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        if self.instance.pk:
            self.fields["code"].disabled = True

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.replace("_", "").isalnum() or not code.isascii():
            raise forms.ValidationError("原因代码只能由英文字母、数字和下划线组成")
        return code


class ThresholdForm(forms.ModelForm):
    amount_yuan = forms.DecimalField(label="金额（元，0 = 不按金额）", min_value=0, max_digits=15, decimal_places=2, initial=0)

    class Meta:
        model = Threshold
        fields = ["account", "warehouse", "pct"]
        labels = {"account": "科目（空 = 全部）", "warehouse": "仓库（空 = 全部）", "pct": "比例（%）"}

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        if self.instance.pk:
            from stockbook.core.money import from_fen

            self.initial["amount_yuan"] = from_fen(self.instance.amount)

    def clean_pct(self):
        v = self.cleaned_data["pct"]
        if v is None or v < 0 or v > 100:
            raise forms.ValidationError("比例必须在 0 到 100 之间")
        return v

    def clean_account(self):
        from stockbook.ledger.models import Account

        code = (self.cleaned_data.get("account") or "").strip()
        if code and not Account.objects.filter(code=code).exists():
            raise forms.ValidationError(f"科目 {code} 不存在")
        return code

    def save(self, commit=True):
        from stockbook.core.money import to_fen

        self.instance.amount = to_fen(self.cleaned_data["amount_yuan"])
        return super().save(commit)
