"""The workflow's Chinese labels (states and steps), marked for translation.

The workflow is data in yongke/applications/workflow.py and its labels are Chinese; the
portal shows them through `translated()` so an English page has English buttons and states.
A label missing here is shown as it is (Chinese).
"""

from __future__ import annotations

from django.utils.translation import pgettext, pgettext_lazy

LABELS = [
    pgettext_lazy("workflow", "草稿"), pgettext_lazy("workflow", "已提交，待推荐"), pgettext_lazy("workflow", "已推荐，待形式审查"), pgettext_lazy("workflow", "未推荐"), pgettext_lazy("workflow", "退回补正"),
    pgettext_lazy("workflow", "形式审查通过"), pgettext_lazy("workflow", "形式审查不通过"), pgettext_lazy("workflow", "专家评审中"), pgettext_lazy("workflow", "拟立项"), pgettext_lazy("workflow", "不予立项"),
    pgettext_lazy("workflow", "公示中"), pgettext_lazy("workflow", "已签订任务书"), pgettext_lazy("workflow", "已撤回"), pgettext_lazy("workflow", "提交"), pgettext_lazy("workflow", "推荐"), pgettext_lazy("workflow", "不予推荐"),
    pgettext_lazy("workflow", "进入专家评审"), pgettext_lazy("workflow", "公示"), pgettext_lazy("workflow", "签订任务书"), pgettext_lazy("workflow", "撤回"), pgettext_lazy("workflow", "待意愿确认（免申即享）"),
    pgettext_lazy("workflow", "单位放弃"), pgettext_lazy("workflow", "已申领，待核查"), pgettext_lazy("workflow", "核查通过"), pgettext_lazy("workflow", "核查不通过"), pgettext_lazy("workflow", "已拨付"),
    pgettext_lazy("workflow", "确认申领"), pgettext_lazy("workflow", "放弃申领"), pgettext_lazy("workflow", "申领"), pgettext_lazy("workflow", "拨付"),
]


def translated(label: str) -> str:
    return pgettext("workflow", label) if label else label
