from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "stockbook.cases"
    label = "cases"
    verbose_name = "差异工单与签核"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from stockbook.notify.events import register_event
        from stockbook.posting.signals import books_changed

        from .certify import on_books_changed

        register_event("reconcile.case_opened", _("Reconciliation case opened"))
        register_event("reconcile.case_assigned", _("Reconciliation case assigned"))
        register_event("reconcile.case_overdue", _("Reconciliation case overdue"))
        register_event("reconcile.case_aged", _("Reconciliation difference past the aging limit"))
        register_event("reconcile.certification_reopened", _("Reconciliation certification re-opened"))
        books_changed.connect(on_books_changed, dispatch_uid="cases.certify.on_books_changed")
