"""The project workflow, as data (the table the application workflows use).

立项 opens a project in `drafting` (任务书编制): the officer fixes the task book within the
application's promises. `send` puts it to the unit (`signing`, 待签订); the unit's org admin
signs with the stamped PDF (`sign`, the state stays until the countersignature) or sends it
back with its reasons (`reopen`); the officer countersigns (`countersign` → `in_progress`).
An unsigned project past the call's time limit is revoked (`revoke`, by the system's scan or
an officer). An approved termination request ends it (`terminate`).

Acceptance, closure and revocation in progress are later steps: they add transitions (and
states) here, and nothing else changes. Labels are Chinese, marked for translation under the
context `workflow`.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from yongke.applications.workflow import Transition, Workflow

UNIT = ("org_admin",)

PROJECT = Workflow(
    name="project",
    initial="drafting",
    states={
        "drafting": pgettext_lazy("workflow", "任务书编制"),
        "signing": pgettext_lazy("workflow", "待签订"),
        "in_progress": pgettext_lazy("workflow", "执行中"),
        "acceptance": pgettext_lazy("workflow", "验收中"),
        "closed": pgettext_lazy("workflow", "已结题"),
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
        Transition("terminate", pgettext_lazy("workflow", "终止"), ("in_progress",), "terminated", ("officer",), comment_required=True),
    ),
    open_states=frozenset({"drafting", "signing", "in_progress", "acceptance"}),
    final_states=frozenset({"closed", "terminated", "revoked"}),
)

# States in which money may be paid to the project.
PAYABLE_STATES = frozenset({"in_progress", "acceptance", "closed"})
# States in which a change may be requested.
CHANGEABLE_STATES = frozenset({"in_progress"})
