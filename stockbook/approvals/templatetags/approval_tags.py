"""{% approvals_navlink %}: the 审批 link of the side navigation with the number of requests waiting for
the user's vote."""
from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def approvals_navlink(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    from ..service import todo_count

    n = todo_count(user)
    url = reverse("approvals:inbox")
    active = mark_safe(' class="active"') if request.path.startswith(url) else ""
    if not n:
        return format_html('<a href="{}"{} data-approvals-link>{}</a>', url, active, _("Approvals"))
    return format_html('<a href="{}"{} data-approvals-link>{} <span class="badge" style="background:#d92d20;color:#fff;margin-left:.4rem" '
                       'data-approvals-pending aria-label="{}">{}</span></a>', url, active, _("Approvals"),
                       _("%(n)s waiting for you") % {"n": n}, n if n < 100 else "99+")
