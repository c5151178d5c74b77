"""{% notify_navlink %}: the 消息中心 link of the side navigation with its unread-count badge."""
from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..service import unread_count

register = template.Library()

BADGE_STYLE = "background:#d92d20;color:#fff;margin-left:.4rem"


@register.simple_tag(takes_context=True)
def notify_navlink(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    if not hasattr(request, "_notify_unread"):
        request._notify_unread = unread_count(user)
    n = request._notify_unread
    url = reverse("notify:inbox")
    active = mark_safe(' class="active"') if request.path.startswith(url) else ""
    label = _("Notifications")
    if not n:
        return format_html('<a href="{}"{} data-notify-link>{}</a>', url, active, label)
    return format_html(
        '<a href="{}"{} data-notify-link>{} <span class="badge" style="{}" data-notify-unread '
        'aria-label="{}">{}</span></a>',
        url, active, label, BADGE_STYLE, _("%(n)s unread") % {"n": n}, n if n < 100 else "99+")
