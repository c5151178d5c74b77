"""Admin for external reconciliation: the user's column mappings can be edited or deleted (built-in ones
are read-only); runs are history, shown read-only."""
from django.contrib import admin

from .models import ColumnMapping, ExternalRun


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "builtin", "layout", "created_by", "created_at")
    list_filter = ("kind", "builtin")
    search_fields = ("name",)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.builtin)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.builtin)


@admin.register(ExternalRun)
class ExternalRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "file_name", "layout", "as_of", "date_from", "date_to", "rows_read", "rows_bad", "differences",
                    "created_by", "created_at", "source")
    list_filter = ("kind", "source")
    search_fields = ("file_name", "sha256")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
