"""The application workflows, as data: states, and transitions with who may take them.

One workflow per funding mode of the guide's projects: `pre` (前资助: recommendation,
formal review, expert review, decision, 公示, 立项 — the project and its 任务书
follow in `yongke.projects`) and `post` (后补助: claim, check,
公示, payment; no expert review). A transition names the roles allowed, whether a comment
is required, the inputs it needs and the guards (named checks in services) it must pass.
Changing the process means changing this table, not a view.

撤回 (withdraw) starts from a submitted application only: a draft holds no place in any
limit and nobody else sees it, so withdrawing one would only end it for good; after
submission it frees the leader's and the organisation's places and is confirmed on the page.
The guard `complete` (the 申报书: required documents, and for 前资助 the leader, period and
budget) comes last, so that a rule the guide or the history refuses is named first.

The labels of states and steps are Chinese and marked for translation under the context
`workflow` (lazily: each is translated into the language of whoever reads it, when it is
read). "公示" is a step here ("Publish") and the public list elsewhere ("Publicity"): the
context keeps the two apart in the catalogue. Where a plain `str` is needed (a JSON field,
a schema), use `str(label)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

type Label = str | StrPromise  # a label as written (Chinese) or marked for translation


@dataclass(frozen=True)
class Transition:
    action: str
    label: Label
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    comment_required: bool = False
    needs: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workflow:
    name: str
    initial: str
    states: dict[str, Label]
    transitions: tuple[Transition, ...]
    open_states: frozenset[str] = field(default_factory=frozenset)  # still in the running: counts against limits
    final_states: frozenset[str] = field(default_factory=frozenset)

    def transition(self, action: str) -> Transition | None:
        return next((t for t in self.transitions if t.action == action), None)

    def available(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def state_label(self, state: str) -> Label:
        """The state's label (translated when read); an unknown state shows as itself."""
        return self.states.get(state, state)


APPLICANT = ("applicant", "org_admin")

PRE = Workflow(
    name="pre",
    initial="draft",
    states={
        "draft": pgettext_lazy("workflow", "草稿"),
        "submitted": pgettext_lazy("workflow", "已提交，待推荐"),
        "recommended": pgettext_lazy("workflow", "已推荐，待形式审查"),
        "not_recommended": pgettext_lazy("workflow", "未推荐"),
        "returned": pgettext_lazy("workflow", "退回补正"),
        "accepted": pgettext_lazy("workflow", "形式审查通过"),
        "refused": pgettext_lazy("workflow", "形式审查不通过"),
        "expert_review": pgettext_lazy("workflow", "专家评审中"),
        "funded": pgettext_lazy("workflow", "拟立项"),
        "not_funded": pgettext_lazy("workflow", "不予立项"),
        "published": pgettext_lazy("workflow", "公示中"),
        "contracted": pgettext_lazy("workflow", "已立项"),
        "withdrawn": pgettext_lazy("workflow", "已撤回"),
    },
    transitions=(
        Transition(
            "submit",
            pgettext_lazy("workflow", "提交"),
            ("draft", "returned"),
            "submitted",
            APPLICANT,
            guards=("call_open", "eligible", "cross_rules", "complete"),
        ),
        Transition("recommend", pgettext_lazy("workflow", "推荐"), ("submitted",), "recommended", ("recommender",)),
        Transition(
            "not_recommend",
            pgettext_lazy("workflow", "不予推荐"),
            ("submitted",),
            "not_recommended",
            ("recommender",),
            comment_required=True,
        ),
        Transition(
            "accept", pgettext_lazy("workflow", "形式审查通过"), ("recommended",), "accepted", ("officer",), guards=("documents_passed",)
        ),
        Transition(
            "return", pgettext_lazy("workflow", "退回补正"), ("recommended", "submitted"), "returned", ("officer",), comment_required=True
        ),
        Transition("refuse", pgettext_lazy("workflow", "形式审查不通过"), ("recommended",), "refused", ("officer",), comment_required=True),
        Transition("start_review", pgettext_lazy("workflow", "进入专家评审"), ("accepted",), "expert_review", ("officer",)),
        Transition(
            "fund",
            pgettext_lazy("workflow", "拟立项"),
            ("expert_review",),
            "funded",
            ("officer",),
            needs=("amount",),
            guards=("amount_within_request", "within_budget"),
        ),
        Transition(
            "not_fund", pgettext_lazy("workflow", "不予立项"), ("expert_review",), "not_funded", ("officer",), comment_required=True
        ),
        Transition("publish", pgettext_lazy("workflow", "公示"), ("funded",), "published", ("officer",), needs=("objection_days",)),
        Transition(
            "contract",
            pgettext_lazy("workflow", "立项"),
            ("published",),
            "contracted",
            ("officer",),
            guards=("objection_window_closed",),
        ),
        Transition(
            "withdraw",
            pgettext_lazy("workflow", "撤回"),
            ("submitted", "recommended", "returned", "accepted", "expert_review"),
            "withdrawn",
            APPLICANT,
        ),
    ),
    open_states=frozenset({"submitted", "recommended", "returned", "accepted", "expert_review", "funded", "published", "contracted"}),
    final_states=frozenset({"not_recommended", "refused", "not_funded", "contracted", "withdrawn"}),
)

POST = Workflow(
    name="post",
    initial="draft",
    states={
        "proposed": pgettext_lazy("workflow", "待意愿确认（免申即享）"),
        "declined": pgettext_lazy("workflow", "单位放弃"),
        "draft": pgettext_lazy("workflow", "草稿"),
        "claimed": pgettext_lazy("workflow", "已申领，待核查"),
        "returned": pgettext_lazy("workflow", "退回补正"),
        "checked": pgettext_lazy("workflow", "核查通过"),
        "refused": pgettext_lazy("workflow", "核查不通过"),
        "published": pgettext_lazy("workflow", "公示中"),
        "paid": pgettext_lazy("workflow", "已拨付"),
        "withdrawn": pgettext_lazy("workflow", "已撤回"),
    },
    transitions=(
        Transition(
            "confirm", pgettext_lazy("workflow", "确认申领"), ("proposed",), "claimed", APPLICANT, guards=("eligible", "cross_rules")
        ),
        Transition("decline", pgettext_lazy("workflow", "放弃申领"), ("proposed",), "declined", APPLICANT),
        Transition(
            "submit",
            pgettext_lazy("workflow", "申领"),
            ("draft", "returned"),
            "claimed",
            APPLICANT,
            guards=("call_open", "eligible", "cross_rules", "complete"),
        ),
        Transition(
            "check",
            pgettext_lazy("workflow", "核查通过"),
            ("claimed",),
            "checked",
            ("officer",),
            needs=("amount",),
            guards=("documents_passed",),
        ),
        Transition("return", pgettext_lazy("workflow", "退回补正"), ("claimed",), "returned", ("officer",), comment_required=True),
        Transition("refuse", pgettext_lazy("workflow", "核查不通过"), ("claimed",), "refused", ("officer",), comment_required=True),
        Transition(
            "publish",
            pgettext_lazy("workflow", "公示"),
            ("checked",),
            "published",
            ("officer",),
            needs=("objection_days",),
            guards=("within_budget",),
        ),
        Transition(
            "pay",
            pgettext_lazy("workflow", "拨付"),
            ("published",),
            "paid",
            ("finance",),
            needs=("voucher",),
            guards=("objection_window_closed", "within_budget"),
        ),
        Transition("withdraw", pgettext_lazy("workflow", "撤回"), ("claimed", "returned"), "withdrawn", APPLICANT),
    ),
    open_states=frozenset({"claimed", "returned", "checked", "published", "paid"}),
    final_states=frozenset({"declined", "refused", "paid", "withdrawn"}),
)

WORKFLOWS = {"pre": PRE, "post": POST}

# States in which the applicant may still change the application's content (a draft, a
# return for correction, a 免申即享 proposal awaiting confirmation).
EDITABLE_STATES = ("draft", "returned", "proposed")

# States that count as having received the city's support (for the 项目23 exclusion).
SUPPORTED_STATES = {"pre": frozenset({"funded", "published", "contracted"}), "post": frozenset({"checked", "published", "paid"})}
# The claims whose amounts a call's budget already carries: published or paid. A checked claim's
# amount is not yet committed: the allocation scales the checked ones to what the budget has left.
COMMITTED_POST_STATES = frozenset({"published", "paid"})


def workflow_for(funding: str) -> Workflow:
    return WORKFLOWS[funding]
