"""Notifications: in-app messages, email, and group robots (企业微信, 钉钉, 飞书, generic webhooks).

Callers use :func:`notify`; a scheduled job calls :func:`deliver_pending`. See docs/notifications.md.
The names are re-exported lazily so that importing the package does not import the models.
"""


def notify(event, *, recipients=(), title, body="", link=None, payload=None, company=None):
    from .service import notify as _notify

    return _notify(event, recipients=recipients, title=title, body=body, link=link, payload=payload, company=company)


def deliver_pending(**kw):
    from .service import deliver_pending as _deliver_pending

    return _deliver_pending(**kw)


__all__ = ["notify", "deliver_pending"]
