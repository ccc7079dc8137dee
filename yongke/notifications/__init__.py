"""Notifications: who is told what, in the in-app inbox, by email and by SMS.

The workflow's services announce what happened (`events`: a 补正 request, a recommendation,
a formal-review result, an expert invitation or reminder, a decision, the start of 公示, a call's
deadline approaching); the announcement is queued when the transaction commits and the
background task (`tasks.deliver`) writes one inbox entry per recipient and sends the email and
SMS each recipient has not switched off (`services.notifications_deliver`). Nothing is sent
inside the request.

The room stands below applications and review, which call it: it reads their objects only
through the attributes they hand over (and names their models under TYPE_CHECKING), so the
floors stay as docs/architecture.md draws them.
"""
