"""The project workflow, as data (the table the application workflows use).

立项 opens a project in `drafting` (任务书编制): the officer fixes the task book within the
application's promises. `send` puts it to the unit (`signing`, 待签订); the unit's org admin
signs with the stamped PDF (`sign`, the state stays until the countersignature) or sends it
back with its reasons (`reopen`); the officer countersigns (`countersign` → `in_progress`).
An unsigned project past the call's time limit is revoked (`revoke`, by the system's scan or
an officer). An approved termination request ends it (`terminate`).

After the countersignature the project runs (`in_progress`). The unit's final report asks for
acceptance (`submit_final` → `acceptance`); the officer may send the materials back
(`return_final`), pass it (`accept` → `closed`, 结题, the last tranche payable), give one
rectification period (`rectify` → `rectifying`; the unit's rectification report
`submit_rectification` puts it back to `acceptance`) or fail it (`fail` → `failed`). A
project that cannot go on is terminated (`terminate`: payments stop, the unused and misused
money is recovered); one that must be undone after signing is rescinded (`rescind` →
`revoked`: everything paid is recovered).

Steps marked `by_service` carry more than a comment (a verdict with its reasons per
indicator, the money to recover): they are taken only through their own services
(`yongke.projects.acceptance`, `yongke.projects.closure`), never through the generic step.
Labels are Chinese, marked for translation under the context `workflow`.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from yongke.applications.workflow import Transition, Workflow

UNIT = ("org_admin",)
BY_SERVICE = "by_service"
# The states of a signed project not yet ended: it may be terminated or rescinded from any.
FUNDED_RUNNING = ("in_progress", "acceptance", "rectifying")

PROJECT = Workflow(
    name="project",
    initial="drafting",
    states={
        "drafting": pgettext_lazy("workflow", "任务书编制"),
        "signing": pgettext_lazy("workflow", "待签订"),
        "in_progress": pgettext_lazy("workflow", "执行中"),
        "acceptance": pgettext_lazy("workflow", "验收中"),
        "rectifying": pgettext_lazy("workflow", "整改中"),
        "closed": pgettext_lazy("workflow", "已结题"),
        "failed": pgettext_lazy("workflow", "验收不通过"),
        "terminated": pgettext_lazy("workflow", "已终止"),
        "revoked": pgettext_lazy("workflow", "已撤销"),
    },
    transitions=(
        Transition("send", pgettext_lazy("workflow", "发送签订"), ("drafting",), "signing", ("officer",), guards=("task_book_complete",)),
        Transition(
            "reopen", pgettext_lazy("workflow", "退回修改任务书"), ("signing",), "drafting", ("officer", *UNIT), comment_required=True
        ),
        Transition("sign", pgettext_lazy("workflow", "承担单位签订"), ("signing",), "signing", UNIT, needs=("signed_file",)),
        Transition(
            "countersign", pgettext_lazy("workflow", "主管部门签订"), ("signing",), "in_progress", ("officer",), guards=("unit_signed",)
        ),
        Transition(
            "revoke",
            pgettext_lazy("workflow", "撤销立项"),
            ("drafting", "signing"),
            "revoked",
            ("officer",),
            comment_required=True,
        ),
        Transition(
            "submit_final", pgettext_lazy("workflow", "提交结题验收申请"), ("in_progress",), "acceptance", UNIT, guards=(BY_SERVICE,)
        ),
        Transition(
            "return_final",
            pgettext_lazy("workflow", "退回结题材料"),
            ("acceptance",),
            "in_progress",
            ("officer",),
            comment_required=True,
            guards=(BY_SERVICE,),
        ),
        Transition("accept", pgettext_lazy("workflow", "验收通过并结题"), ("acceptance",), "closed", ("officer",), guards=(BY_SERVICE,)),
        Transition(
            "rectify",
            pgettext_lazy("workflow", "限期整改"),
            ("acceptance",),
            "rectifying",
            ("officer",),
            comment_required=True,
            guards=(BY_SERVICE,),
        ),
        Transition(
            "submit_rectification",
            pgettext_lazy("workflow", "提交整改报告"),
            ("rectifying",),
            "acceptance",
            UNIT,
            guards=(BY_SERVICE,),
        ),
        Transition(
            "fail",
            pgettext_lazy("workflow", "验收不通过"),
            ("acceptance", "rectifying"),
            "failed",
            ("officer",),
            comment_required=True,
            guards=(BY_SERVICE,),
        ),
        Transition(
            "terminate",
            pgettext_lazy("workflow", "终止"),
            FUNDED_RUNNING,
            "terminated",
            ("officer",),
            comment_required=True,
            guards=(BY_SERVICE,),
        ),
        Transition(
            "rescind",
            pgettext_lazy("workflow", "撤销项目（追回全部经费）"),
            (*FUNDED_RUNNING, "failed"),
            "revoked",
            ("officer",),
            comment_required=True,
            guards=(BY_SERVICE,),
        ),
    ),
    open_states=frozenset({"drafting", "signing", "in_progress", "acceptance", "rectifying"}),
    final_states=frozenset({"closed", "failed", "terminated", "revoked"}),
)

# The steps taken only through their own services (they carry a verdict or money to recover).
SERVICE_STEPS = frozenset(t.action for t in PROJECT.transitions if BY_SERVICE in t.guards)

# States in which money may be paid to the project.
PAYABLE_STATES = frozenset({"in_progress", "acceptance", "rectifying", "closed"})
# States in which reports are written (the mid-term report while running, the final report to
# ask for acceptance, the rectification report while rectifying).
REPORTING_STATES = frozenset({"in_progress", "rectifying"})
# States in which a change may be requested.
CHANGEABLE_STATES = frozenset({"in_progress"})
