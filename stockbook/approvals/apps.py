from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "stockbook.approvals"
    label = "approvals"
    verbose_name = "审批流"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from stockbook.notify.events import register_event

        from . import actions  # noqa: F401  (registers the void and reopen executors)

        register_event("approval.failed", _("Approved document could not be posted"))
        register_event("approval.cancelled", _("Approval request withdrawn"))
