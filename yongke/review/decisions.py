"""The review's say in a funding decision: 拟立项 waits for every assigned expert's score.

`application_transition` (below the review) sends `transition_checking` before it writes a
step; `check_decision` answers for the step to 拟立项 (funded). An application assigned to
experts in a round may be funded once every one of them has scored — or once an officer has
recorded why it is decided without them (`review_waiver_record`, shown in its timeline). The
refusal says how many have scored and who has not. An application of a project the guide has
reviewed by experts (`review: true`) that no round ever sent to experts is refused too
(`review_missing`): a decision with no review is not a decision on a complete one. The answer is
kept in the step's audit entry.
"""

from __future__ import annotations

from typing import Any

from yongke.core.errors import Refused
from yongke.guide.selectors import compiled_for
from yongke.review.selectors import review_progress_of, waiver_for

DECISION_TARGETS = ("funded",)  # 拟立项


def check_decision(sender: Any, *, application: Any, transition: Any, **_: Any) -> dict[str, Any]:
    if transition.target not in DECISION_TARGETS:
        return {}
    rnd, progress = review_progress_of(application)
    if rnd is None:
        if not _reviewed_by_guide(application):
            return {}
        raise Refused(
            "该项目按指南须经专家评审，本申报尚未分配评审专家：须先在「专家评审」中分配专家并完成评分"
            " / the guide has this project reviewed by experts and no expert was ever assigned to this application:"
            " run a review round first",
            code="review_missing",
            detail={"direction": application.direction, "assigned": 0, "scored": 0},
        )
    review: dict[str, Any] = {"round": rnd.pk, "scored": progress.scored, "assigned": progress.assigned}
    if progress.complete:
        return {"review": review}
    waiver = waiver_for(rnd, application)
    if waiver is None:
        names = "、".join(m["name"] for m in progress.missing)
        declined = f"，其中 {progress.declined} 位已谢绝" if progress.declined else ""
        raise Refused(
            f"专家评审未完成：{progress.assigned} 位专家中 {progress.scored} 位已评分（未评分：{names}{declined}）。"
            "须等全部专家评分，或先在「评分排名」页记录不等评审完成即决定的理由"
            f" / expert review incomplete: {progress.scored} of {progress.assigned} experts have scored;"
            " wait for every score, or record on the ranking page why the decision cannot wait",
            code="review_incomplete",
            detail={**review, "declined": progress.declined, "missing": progress.missing},
        )
    return {"review": {**review, "waiver": waiver.pk, "waiver_reason": waiver.reason}}


def _reviewed_by_guide(application: Any) -> bool:
    """The application's project is one the guide has reviewed by experts (`review:` of its project file)."""
    return compiled_for(application.guide_version).guide.direction(application.direction).project.review
