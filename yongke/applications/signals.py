"""Signals of the application workflow, for the rooms above that judge a step by what they hold.

The applications sit below the review (docs/architecture.md): `application_transition` cannot
ask the review whether every expert has scored. It sends `transition_checking` instead, inside
its transaction, after its own guards and before it writes the step; a receiver refuses the
step by raising a domain error, or returns a dict that is kept with the step in the audit log.
`transition_done` follows the written step, for the rooms that build on it.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with: application (locked), transition, actor, comment, now.
transition_checking = Signal()

# Sent with: application, transition, actor, comment, now — after the step was written and
# audited, inside the same transaction: a receiver that raises undoes the step. The projects
# room answers 立项 (`contract`) by opening the project and drafting its 任务书.
transition_done = Signal()

# Sent with: application, after a 后补助 claim was created or edited (inside the service's
# transaction). The awards room answers by storing the claim's quote (Application.quoted_amount),
# which the lists show in place of the 0 a claim requests.
claim_saved = Signal()
