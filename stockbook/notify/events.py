"""The events a notification can be about. Channels subscribe to some of them (none ticked = all).

Other apps add theirs with ``register_event`` (in their ``AppConfig.ready``); ``notify()`` accepts any
well-formed name, the registry only feeds the channel form and the labels shown to people.
"""
import re

from django.utils.translation import gettext_lazy as _

EVENT_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")

EVENTS = {
    "approval.requested": _("New approval request"),
    "approval.approved": _("Approval approved"),
    "approval.rejected": _("Approval rejected"),
    "approval.escalated": _("Approval escalated after timeout"),
    "approval.delegated": _("Approval delegated"),
    "reconcile.difference": _("Reconciliation difference"),
    "notify.test": _("Test message"),
}


def register_event(code: str, label) -> None:
    if not EVENT_RE.match(code):
        raise ValueError(f"bad event name {code!r}")
    EVENTS[code] = label


def event_label(code: str):
    return EVENTS.get(code, code)


def matches(patterns, event: str) -> bool:
    """An empty filter takes every event; 'approval.*' takes approval.requested and approval.x.y."""
    if not patterns:
        return True
    for p in patterns:
        if p == event or p == "*" or (p.endswith(".*") and event.startswith(p[:-1])):
            return True
    return False
