"""The header's unread count: `{% unread_notifications user as n %}`."""

from __future__ import annotations

from django import template

from yongke.notifications.selectors import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    """How many of the user's notifications are unread (0 for nobody signed in): one query."""
    return unread_count(user) if getattr(user, "is_authenticated", False) else 0
