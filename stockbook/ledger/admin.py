"""Admin for the ledger. Vouchers, their lines and balances are facts written only by post(): the admin shows
them read-only. Accounts can be renamed (own ones) or disabled; new accounts come through post()."""
from django.contrib import admin

from stockbook.core.money import fmt_money

from .models import Account, Period, PeriodBalance, Voucher, VoucherLine


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "level", "category", "direction", "builtin", "active")
    list_filter = ("level", "category", "direction", "builtin", "active")
    search_fields = ("code", "name")
    list_per_page = 200

    def get_readonly_fields(self, request, obj=None):
        fixed = ("code", "parent", "level", "category", "direction", "builtin")
        return (*fixed, "name") if obj and obj.builtin else fixed

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Period)
class PeriodAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "closed_at", "closed_by")
    list_filter = ("status",)


class VoucherLineInline(admin.TabularInline):
    model = VoucherLine
    fields = ("line_no", "account", "summary", "debit_yuan", "credit_yuan", "customer", "supplier", "item", "warehouse", "department")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="借方")
    def debit_yuan(self, obj):
        return fmt_money(obj.debit) if obj.debit else ""

    @admin.display(description="贷方")
    def credit_yuan(self, obj):
        return fmt_money(obj.credit) if obj.credit else ""

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ("display_number", "date", "kind", "memo", "total_yuan", "document", "created_by")
    list_filter = ("kind", "word", "period")
    search_fields = ("memo", "document__ref", "lines__summary")
    date_hierarchy = "date"
    list_select_related = ("document", "created_by")
    inlines = [VoucherLineInline]

    @admin.display(description="金额")
    def total_yuan(self, obj):
        return fmt_money(obj.debit_total)


@admin.register(PeriodBalance)
class PeriodBalanceAdmin(ReadOnlyAdmin):
    list_display = ("account", "period", "debit", "credit")
    list_filter = ("period",)
    search_fields = ("account__code", "account__name")
