from django import template

from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def inbox_bell(context) -> dict:
    """The header's link to the inbox with the unread count (signed-in users only)."""
    user = context.get("user")
    return {"count": selectors.unread_count(user) if user is not None and user.is_authenticated else 0}
