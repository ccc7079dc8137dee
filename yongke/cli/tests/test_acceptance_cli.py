"""`yongke project report|accept|…`: the console face of reports, mid-term checks, acceptance and
panels. JSON out, exit 0 on success, 1 when the rules refuse a well-formed request, 2 on bad
input with one line naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yongke.cli.main import run
from yongke.projects.models import Acceptance, Report
from yongke.projects.tests.acceptance_helpers import MET, commitments, fresh, module_world, pdf, running, submitted_final
from yongke.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from module_world(django_db_blocker, tmp_path_factory)


@pytest.fixture(scope="module")
def project(world, django_db_blocker):
    with django_db_blocker.unblock():
        return running(world)


def call(capsys, *argv):
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *argv):
    code, out, err = call(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def failed(capsys, *argv, code: int = 2) -> str:
    """The command fails with `code`, one line on stderr, nothing on stdout; returns the line."""
    got, out, err = call(capsys, *argv)
    assert got == code, (out, err)
    assert out == ""
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def write(tmp_path: Path, name: str, content) -> str:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(p)


def as_(user) -> tuple[str, str]:
    return ("--as", user.username)


DATA = {"narrative": "全面完成", "actuals": MET, "spent": [{"category": "equipment", "fiscal": 200_000}]}


def test_a_final_report_written_evidenced_submitted_accepted_and_certified(capsys, world, project, tmp_path):
    data = write(tmp_path, "report.json", DATA)
    first, second = commitments(project)
    body = ok(
        capsys,
        "project",
        "report",
        project.pk,
        "--kind",
        "final",
        "--data",
        data,
        "--evidence",
        write(tmp_path, "a.pdf", pdf("a")),
        "--indicator",
        first.pk,
        *as_(world.applicant),
    )
    assert (body["state"], body["actuals"], [f["indicator"] for f in body["files"]]) == ("draft", MET, [first.pk])
    failed(
        capsys, "project", "report", project.pk, "--kind", "final", "--submit", *as_(world.org_admin), code=1
    )  # no evidence for the second
    ok(
        capsys,
        "project",
        "report",
        project.pk,
        "--kind",
        "final",
        "--evidence",
        write(tmp_path, "b.pdf", pdf("b")),
        "--indicator",
        second.pk,
        *as_(world.applicant),
    )
    body = ok(capsys, "project", "report", project.pk, "--kind", "final", "--submit", *as_(world.org_admin))
    assert (body["state"], body["checks"]["verdict"]) == ("submitted", "pass")
    schedule = ok(capsys, "project", "schedule", project.pk, *as_(world.org_admin))
    assert [(r["kind"], r["state"]) for r in schedule["reports"] if r["kind"] == "final"] == [("final", "submitted")]
    opened = ok(capsys, "project", "acceptance-open", project.pk, "--mode", "documents", *as_(world.officer))
    assert (opened["mode"], opened["allowed_verdicts"]) == ("documents", ["passed", "rectify", "failed"])
    reasons = write(tmp_path, "reasons.json", {str(i.pk): {"result": "pass", "reason": "佐证充分"} for i in project.indicators.all()})
    decided = ok(
        capsys, "project", "accept", opened["id"], "--verdict", "passed", "--reasons", reasons, "--comment", "同意通过", *as_(world.officer)
    )
    assert (decided["verdict"], fresh(project).state) == ("passed", "closed")
    out = tmp_path / "证书.pdf"
    written = ok(capsys, "project", "certificate", project.pk, "--out", out, *as_(world.org_admin))
    assert written["bytes"] == out.stat().st_size
    assert out.read_bytes().startswith(b"%PDF")
    report = ok(capsys, "project", "report-pdf", body["id"], "--out", tmp_path / "r.pdf", *as_(world.officer))
    assert report["bytes"] > 0


def test_a_panel_over_the_console(capsys, world, tmp_path):
    r = submitted_final(world, stages=False)
    expert = world.experts[0]
    opened = ok(capsys, "project", "acceptance-open", r.project.pk, "--mode", "panel", "--expert", expert.pk, *as_(world.officer))
    assert [m["expert"] for m in opened["members"]] == [expert.pk]
    (task,) = ok(capsys, "project", "panel-tasks", *as_(expert.user))
    before = ok(capsys, "project", "panel-task", task["id"], *as_(expert.user))
    assert before["material"] is None
    failed(capsys, "project", "panel-respond", task["id"], "--accept", *as_(expert.user))  # without --no-conflict
    after = ok(capsys, "project", "panel-respond", task["id"], "--accept", "--no-conflict", *as_(expert.user))
    assert after["state"] == "accepted"
    opinion = {
        "opinion": {str(i.pk): {"result": "pass"} for i in r.project.indicators.all()},
        "recommendation": "passed",
        "comment": "同意",
    }
    done = ok(capsys, "project", "panel-opinion", task["id"], "--data", write(tmp_path, "o.json", opinion), *as_(expert.user))
    assert done["state"] == "submitted"
    a = Acceptance.objects.get(pk=opened["id"])
    assert a.members.get().recommendation == "passed"


def test_the_midterm_check_and_a_return_over_the_console(capsys, world, project, tmp_path):
    data = write(tmp_path, "m.json", {"narrative": "中期进展", "actuals": {"kpi_invention_patent_applications": 1}})
    r = ok(capsys, "project", "report", project.pk, "--kind", "midterm", "--data", data, "--submit", *as_(world.org_admin))
    returned = ok(capsys, "project", "report-return", r["id"], "--comment", "请补充经费", *as_(world.officer))
    assert returned["state"] == "returned"
    ok(capsys, "project", "report", project.pk, "--kind", "midterm", "--submit", *as_(world.org_admin))
    checked = ok(capsys, "project", "midterm-check", r["id"], "--outcome", "rectify", "--comment", "专利未达阶段目标", *as_(world.officer))
    assert checked["outcome"] == "rectify"
    assert Report.objects.filter(project=project, kind="midterm", number=2, state="draft").exists()


def test_reminders_and_the_overdue_list_over_the_console(capsys, world, project):
    late = "2099-01-01T10:00"
    sent = ok(capsys, "project", "report-remind", "--now", late, *as_(world.officer))
    assert {(x["project"], x["kind"]) for x in sent["reminded"]} >= {(project.pk, "midterm"), (project.pk, "final")}
    rows = ok(capsys, "project", "reports-overdue", "--now", late, *as_(world.officer))
    assert {(r["project"], r["kind"]) for r in rows} >= {(project.pk, "midterm"), (project.pk, "final")}
    assert failed(capsys, "project", "reports-overdue", *as_(world.org_admin)).strip()


def test_the_calls_postaward_settings_over_the_console(capsys, world, project):
    # the world's call opens every programme's directions: its settings are every programme's officers'
    every = make_user("officer", programme="*")
    body = ok(capsys, "project", "settings", "--call", project.call_id, "--documents-below", "60万", "--no-publish-results", *as_(every))
    assert (body["postaward"]["documents_below"], body["postaward"]["publish_results"]) == (600_000, False)
    back = ok(capsys, "project", "settings", "--call", project.call_id, "--documents-below", "default", *as_(every))
    assert "documents_below" not in back["postaward"]["overridden"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["report", "{p}", "--kind", "final", "--data", "/nonexistent.json"], "--data"),
        (["report", "{p}", "--kind", "final", "--data", "{list}"], "--data"),
        (["report", "{p}", "--kind", "final", "--data", "{unknown}"], "colour"),
        (["report", "{p}", "--kind", "final", "--data", "{badfact}"], "actuals.kpi_new_revenue"),
        (["report", "{p}", "--kind", "final", "--indicator", "1"], "--indicator"),
        (["report", "{p}", "--kind", "annual"], "kind"),
        (["report", "999999", "--kind", "final"], "project"),
        (["midterm-check", "999999", "--outcome", "qualified"], "report"),
        (["midterm-check", "1", "--outcome", "qualified", "--rectify-by", "明天"], "--rectify-by"),
        (["accept", "1", "--verdict", "passed", "--reasons", "/nonexistent.json", "--comment", "x"], "--reasons"),
        (["accept", "1", "--verdict", "great", "--reasons", "x", "--comment", "x"], "verdict"),
        (["panel-respond", "1"], "accept"),
        (["certificate", "999999", "--out", "/tmp/x.pdf"], "project"),
        (["report-pdf", "abc", "--out", "/tmp/x.pdf"], "report"),
        (["settings", "--call", "{c}", "--rectify-months", "三"], "--rectify-months"),
        (["settings", "--call", "{c}", "--documents-below", "很多"], "--documents-below"),
        (["settings", "--call", "{c}", "--consequences", '{"acceptance_failed": {"subject": "team"}}'], "consequences.acceptance_failed"),
    ],
)
def test_bad_input_is_exit_2_naming_the_field(capsys, world, project, tmp_path, argv, needle):
    files = {
        "{list}": write(tmp_path, "list.json", [1, 2]),
        "{unknown}": write(tmp_path, "unknown.json", {"colour": "red"}),
        "{badfact}": write(tmp_path, "bad.json", {"actuals": {"kpi_new_revenue": "很多"}}),
        "{p}": str(project.pk),
        "{c}": str(project.call_id),
    }
    args = [files.get(a, a) for a in argv]
    assert needle in failed(
        capsys, "project", *args, *as_(make_user("officer", programme="*") if argv[0] == "settings" else world.applicant)
    )


def test_a_refusal_is_exit_1(capsys, world, project):
    err = failed(capsys, "project", "acceptance-open", project.pk, *as_(world.officer), code=1)
    assert "验收" in err
