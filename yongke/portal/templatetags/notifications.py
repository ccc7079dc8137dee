"""The header's unread count: `{% unread_notifications user as n %}`."""

from __future__ import annotations

from django import template

from yongke.notifications.selectors import unread_for_header

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    """How many of the user's notifications are unread (0 for nobody signed in): read with the
    session's user (portal.backends), or one query."""
    return unread_for_header(user)
