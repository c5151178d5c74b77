"""Action codes of audit entries and their names for people. ``record()`` accepts any short code (other
modules may bring their own); the ones below are known to the search form and get a translated label."""
from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "create": _("Create"),
    "update": _("Update"),
    "delete": _("Delete"),
    "post": _("Post"),
    "void": _("Void"),
    "reverse": _("Reverse"),
    "approve": _("Approve"),
    "reject": _("Reject"),
    "audit": _("Audit (review)"),
    "unaudit": _("Undo review"),
    "close": _("Close period"),
    "reopen": _("Reopen period"),
    "login": _("Log in"),
    "logout": _("Log out"),
    "login_failed": _("Failed login"),
    "login_locked": _("Login locked out"),
    "permission_change": _("Permission change"),
    "setting_change": _("Setting change"),
    "submit": _("Submit for approval"),
    "delegate": _("Delegate approval"),
    "escalate": _("Escalate approval"),
    "cancel": _("Withdraw"),
    "approval_denied": _("Approval refused (no right)"),
    "approval_failed": _("Approved but not posted"),
    "import": _("Import"),
    "export": _("Export"),
    "archive": _("Archive"),
    "purge": _("Purge archive"),
}


def action_label(code: str) -> str:
    label = ACTIONS.get(code)
    return str(label) if label is not None else code
