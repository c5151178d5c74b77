"""Admin for master data. New records come only through post() (web forms, import, API), so the admin
edits and disables but does not add; deleting uses safe_delete (disabled when documents refer to it)."""
from django.contrib import admin, messages

from .models import Barcode, Category, Company, Customer, Department, Item, ItemUnit, Region, Supplier, Warehouse


@admin.action(description="删除（被引用则停用）")
def safe_delete_selected(modeladmin, request, queryset):
    done = {"deleted": 0, "disabled": 0}
    for obj in queryset:
        done[obj.safe_delete()] += 1
    modeladmin.message_user(request, f"已删除 {done['deleted']} 条，已停用 {done['disabled']} 条（被单据引用）", messages.SUCCESS)


@admin.action(description="停用")
def disable_selected(modeladmin, request, queryset):
    queryset.update(active=False)


@admin.action(description="启用")
def enable_selected(modeladmin, request, queryset):
    queryset.update(active=True)


class MasterAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")
    actions = [enable_selected, disable_selected, safe_delete_selected]
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        return ("code", "created_at", "updated_at") if obj else ("created_at", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the safe_delete action instead

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "chart", "costing_method", "start_period", "currency")
    readonly_fields = ("code", "chart", "costing_method", "start_period", "currency", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Warehouse)
class WarehouseAdmin(MasterAdmin):
    list_display = ("code", "name", "region", "address", "active")
    list_filter = ("active", "region")


@admin.register(Category)
class CategoryAdmin(MasterAdmin):
    list_display = ("code", "name", "parent", "product_line", "active")

    def has_add_permission(self, request):
        return True  # categories are not interchange documents


class ItemUnitInline(admin.TabularInline):
    model = ItemUnit
    extra = 0
    readonly_fields = ("name", "factor")  # conversion factors are fixed once stock moved in them

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BarcodeInline(admin.TabularInline):
    model = Barcode
    extra = 0


@admin.register(Item)
class ItemAdmin(MasterAdmin):
    list_display = ("code", "name", "spec", "category", "uom", "account", "costing_method", "active")
    list_filter = ("active", "category", "costing_method", "account")
    search_fields = ("code", "name", "spec", "barcodes__code")
    list_select_related = ("category", "account")
    inlines = [ItemUnitInline, BarcodeInline]

    def get_readonly_fields(self, request, obj=None):
        base = super().get_readonly_fields(request, obj)
        return (*base, "uom", "account", "costing_method") if obj else base


@admin.register(Supplier)
class SupplierAdmin(MasterAdmin):
    list_display = ("code", "name", "contact", "phone", "payment_terms", "active")
    search_fields = ("code", "name", "contact", "phone", "tax_id")


@admin.register(Customer)
class CustomerAdmin(MasterAdmin):
    list_display = ("code", "name", "contact", "phone", "payment_terms", "credit_limit", "active")
    search_fields = ("code", "name", "contact", "phone", "tax_id")


@admin.register(Department)
class DepartmentAdmin(MasterAdmin):
    def has_add_permission(self, request):
        return True  # departments are not interchange documents
