"""The 公示's say in what follows it: 立项 (前资助, the step `contract`) and 拨付 (后补助) wait until every
objection lodged in the 公示 has been handled.

`application_transition` (below this floor) sends `transition_checking` before it writes a
step; `check_objections_handled` answers for the steps out of 公示. The window itself is the
workflow's own guard (`objection_window_closed`); this adds what only the objections know.
The count of objections received is kept in the step's audit entry.
"""

from __future__ import annotations

from typing import Any

from yongke.core.errors import Refused
from yongke.publicity.models import Objection

AFTER_PUBLICITY = ("contract", "pay")


def check_objections_handled(sender: Any, *, application: Any, transition: Any, **_: Any) -> dict[str, Any]:
    if transition.action not in AFTER_PUBLICITY:
        return {}
    outcomes = list(Objection.objects.filter(application=application).values_list("outcome", flat=True))
    pending = outcomes.count(Objection.Outcome.PENDING)
    if pending:
        raise Refused(
            f"公示期间收到的异议尚有 {pending} 件未处理，处理完毕后才能「{transition.label}」 / {pending} objection(s) still to be handled",
            code="objections_pending",
            detail={"pending": pending, "received": len(outcomes)},
        )
    return {"objections": len(outcomes)} if outcomes else {}
