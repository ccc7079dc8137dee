"""The application workflows, as data: states, and transitions with who may take them.

One workflow per funding mode of the guide's projects: `pre` (前资助: recommendation,
formal review, expert review, decision, 公示, contract) and `post` (后补助: claim, check,
公示, payment; no expert review). A transition names the roles allowed, whether a comment
is required, the inputs it needs and the guards (named checks in services) it must pass.
Changing the process means changing this table, not a view.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
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
    states: dict[str, str]
    transitions: tuple[Transition, ...]
    open_states: frozenset[str] = field(default_factory=frozenset)  # still in the running: counts against limits
    final_states: frozenset[str] = field(default_factory=frozenset)

    def transition(self, action: str) -> Transition | None:
        return next((t for t in self.transitions if t.action == action), None)

    def available(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]


APPLICANT = ("applicant", "org_admin")

PRE = Workflow(
    name="pre",
    initial="draft",
    states={
        "draft": "草稿",
        "submitted": "已提交，待推荐",
        "recommended": "已推荐，待形式审查",
        "not_recommended": "未推荐",
        "returned": "退回补正",
        "accepted": "形式审查通过",
        "refused": "形式审查不通过",
        "expert_review": "专家评审中",
        "funded": "拟立项",
        "not_funded": "不予立项",
        "published": "公示中",
        "contracted": "已签订任务书",
        "withdrawn": "已撤回",
    },
    transitions=(
        Transition("submit", "提交", ("draft", "returned"), "submitted", APPLICANT, guards=("call_open", "eligible", "cross_rules")),
        Transition("recommend", "推荐", ("submitted",), "recommended", ("recommender",)),
        Transition("not_recommend", "不予推荐", ("submitted",), "not_recommended", ("recommender",), comment_required=True),
        Transition("accept", "形式审查通过", ("recommended",), "accepted", ("officer",)),
        Transition("return", "退回补正", ("recommended", "submitted"), "returned", ("officer",), comment_required=True),
        Transition("refuse", "形式审查不通过", ("recommended",), "refused", ("officer",), comment_required=True),
        Transition("start_review", "进入专家评审", ("accepted",), "expert_review", ("officer",)),
        Transition("fund", "拟立项", ("expert_review",), "funded", ("officer",), needs=("amount",), guards=("amount_within_request",)),
        Transition("not_fund", "不予立项", ("expert_review",), "not_funded", ("officer",), comment_required=True),
        Transition("publish", "公示", ("funded",), "published", ("officer",), needs=("objection_days",)),
        Transition("contract", "签订任务书", ("published",), "contracted", ("officer",), guards=("objection_window_closed",)),
        Transition("withdraw", "撤回", ("draft", "submitted", "recommended", "returned", "accepted", "expert_review"), "withdrawn", APPLICANT),
    ),
    open_states=frozenset({"submitted", "recommended", "returned", "accepted", "expert_review", "funded", "published", "contracted"}),
    final_states=frozenset({"not_recommended", "refused", "not_funded", "contracted", "withdrawn"}),
)

POST = Workflow(
    name="post",
    initial="draft",
    states={
        "proposed": "待意愿确认（免申即享）",
        "declined": "单位放弃",
        "draft": "草稿",
        "claimed": "已申领，待核查",
        "returned": "退回补正",
        "checked": "核查通过",
        "refused": "核查不通过",
        "published": "公示中",
        "paid": "已拨付",
        "withdrawn": "已撤回",
    },
    transitions=(
        Transition("confirm", "确认申领", ("proposed",), "claimed", APPLICANT, guards=("eligible", "cross_rules")),
        Transition("decline", "放弃申领", ("proposed",), "declined", APPLICANT),
        Transition("submit", "申领", ("draft", "returned"), "claimed", APPLICANT, guards=("call_open", "eligible", "cross_rules")),
        Transition("check", "核查通过", ("claimed",), "checked", ("officer",), needs=("amount",)),
        Transition("return", "退回补正", ("claimed",), "returned", ("officer",), comment_required=True),
        Transition("refuse", "核查不通过", ("claimed",), "refused", ("officer",), comment_required=True),
        Transition("publish", "公示", ("checked",), "published", ("officer",), needs=("objection_days",)),
        Transition("pay", "拨付", ("published",), "paid", ("finance",), guards=("objection_window_closed",)),
        Transition("withdraw", "撤回", ("draft", "claimed", "returned"), "withdrawn", APPLICANT),
    ),
    open_states=frozenset({"claimed", "returned", "checked", "published", "paid"}),
    final_states=frozenset({"declined", "refused", "paid", "withdrawn"}),
)

WORKFLOWS = {"pre": PRE, "post": POST}

# States that count as having received the city's support (for the 项目23 exclusion).
SUPPORTED_STATES = {"pre": frozenset({"funded", "published", "contracted"}), "post": frozenset({"checked", "published", "paid"})}


def workflow_for(funding: str) -> Workflow:
    return WORKFLOWS[funding]
