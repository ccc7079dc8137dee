"""The 验收证书 of an accepted project and the 结题报告 of a submitted report, read back with
pdftotext: the number, the project, the unit, the leader, the period and the money, every
indicator's 任务书规定 beside its 实际完成 with the clause and the result, the verdict, the
opinion, the panel and the seal boxes; the spending and the evidence of the report. Whoever
may not see the project may not download either; a reader outside the unit is in the log."""

from __future__ import annotations

import pytest

from yongke.applications.tests.test_pdf import pdf_info
from yongke.audit.models import AuditEvent
from yongke.core.errors import NotFound, Refused
from yongke.projects import acceptance as acc
from yongke.projects.certificate import certificate_pdf, report_pdf
from yongke.projects.models import Indicator, Report
from yongke.projects.tests.acceptance_helpers import (
    FIRST,
    final_draft,
    member_of,
    module_world,
    opinion_all,
    pay,
    running,
    submitted_final,
)
from yongke.projects.tests.test_pdf import flat

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory, org_name="南宁市验收证书测试科技有限公司")


@pytest.fixture(scope="module")
def closed(world, django_db_blocker):
    """A project passed by a panel of two (its first tranche paid), and its acceptance."""
    with django_db_blocker.unblock():
        p = running(world, stages=False)
        pay(world, p, FIRST)
        r = submitted_final(world, p)
        a = acc.acceptance_open(actor=world.officer, project=p, mode="panel", experts=[e.pk for e in world.experts[:2]])
        for e in world.experts[:2]:
            m = acc.panel_respond(actor=e.user, member=member_of(a, e), accept=True, no_conflict=True)
            acc.panel_opinion(actor=e.user, member=m, opinion=opinion_all(p), recommendation="passed", comment="同意")
        a = acc.acceptance_decide(
            actor=world.officer,
            acceptance=a,
            verdict="passed",
            reasons={str(i.pk): {"result": "pass", "reason": "佐证充分"} for i in p.indicators.all()},
            comment="项目完成了任务书规定的全部考核指标，同意通过验收。",
        )
        return a, r


def test_the_certificate_holds_the_acceptance_and_every_indicator(world, closed, tmp_path):
    a, _r = closed
    p = a.project
    content = certificate_pdf(actor=world.org_admin, project=p)
    assert "Pages:" in pdf_info(content, tmp_path)
    text = flat(content, tmp_path)
    for expected in (
        "验收证书",
        a.certificate_number,
        p.number,
        p.title,
        "南宁市验收证书测试科技有限公司",
        p.leader.name,
        "500,000元",  # the grant
        "350,000元",  # paid
        "专家验收",
        "通过",
        "任务书规定",
        "实际完成",
        "项目完成了任务书规定的全部考核指标",
        world.experts[0].person.name,
        "承担单位（盖章）",
        "主管部门（盖章）",
        "南宁市科学技术局",
        "100%",
    ):
        assert expected.replace(" ", "") in text, expected
    revenue = Indicator.objects.get(project=p, rule_id="1:revenue")
    assert revenue.clause.replace(" ", "") in text
    assert "50,000,000元" in text


def test_no_certificate_before_the_project_passes(world, closed):
    _a, _r = closed
    r = submitted_final(world, stages=False)
    with pytest.raises(Refused) as e:
        certificate_pdf(actor=world.org_admin, project=r.project)
    assert e.value.code == "not_accepted"


def test_the_certificate_is_not_found_by_who_may_not_see_the_project(world, closed):
    a, _r = closed
    for who in (world.stranger, world.other_recommender, world.expert):
        with pytest.raises(NotFound):
            certificate_pdf(actor=who, project=a.project)


def test_a_reader_outside_the_unit_is_in_the_log(world, closed):
    a, _r = closed
    certificate_pdf(actor=world.org_admin, project=a.project)
    assert not AuditEvent.objects.filter(action="certificate_pdf").exists()
    certificate_pdf(actor=world.officer, project=a.project)
    assert AuditEvent.objects.filter(action="certificate_pdf", target_id=str(a.project.pk)).count() == 1


def test_the_final_report_holds_the_narrative_indicators_spending_and_evidence(world, closed, tmp_path):
    _a, r = closed
    text = flat(report_pdf(actor=world.applicant, report=r), tmp_path)
    for expected in (
        "项目结题报告",
        r.project.number,
        "全面完成任务书规定的研究内容",
        "三、经费使用情况",
        "300,000元",
        "四、佐证材料",
        "承担单位（盖章）",
    ):
        assert expected in text, expected
    first = r.files.first()
    assert first.filename.replace(" ", "") in text
    assert "全部完成" in text


def test_a_report_being_written_has_no_pdf(world, closed):
    draft = final_draft(world, running(world, stages=False))
    with pytest.raises(Refused) as e:
        report_pdf(actor=world.applicant, report=draft)
    assert e.value.code == "not_submitted"


def test_an_expert_on_the_panel_reads_the_report_another_does_not(world, closed):
    _a, r = closed
    assert report_pdf(actor=world.experts[0].user, report=r).startswith(b"%PDF")
    with pytest.raises(NotFound):
        report_pdf(actor=world.experts[2].user, report=Report.objects.get(pk=r.pk))
