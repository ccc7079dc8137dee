"""`yongke project …` and `yongke org bank-account`: the console face of projects after 立项.

JSON out, exit 0 on success, 1 when the rules refuse a well-formed request, 2 on bad input
with one line naming the field.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.utils import timezone

from yongke.cli.main import run
from yongke.projects.models import ChangeRequest, Payment, Project
from yongke.projects.rules import add_months
from yongke.testing import PDF_BYTES, build_world, make_application_in

pytestmark = pytest.mark.django_db

ACCOUNT = "6222020200112233445"


def call(capsys, *argv):
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *argv):
    code, out, err = call(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def bad(capsys, *argv, code: int = 2) -> str:
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


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def project(world) -> Project:
    """A project just opened: its application taken to 立项 (`contracted`)."""
    return make_application_in("contracted", world=world).project


@pytest.fixture
def signing(capsys, project) -> Project:
    ok(capsys, "project", "send", project.pk)
    return project


@pytest.fixture
def signed(capsys, signing, tmp_path) -> Project:
    ok(capsys, "project", "sign", signing.pk, "--file", write(tmp_path, "stamped.pdf", PDF_BYTES))
    return signing


@pytest.fixture
def in_progress(capsys, signed) -> Project:
    ok(capsys, "project", "countersign", signed.pk)
    return signed


@pytest.fixture
def paid(capsys, in_progress) -> Project:
    ok(capsys, "org", "bank-account", in_progress.organisation.uscc, "--bank", "工商银行南宁分行", "--name", "户名", "--number", ACCOUNT)
    return in_progress


def _extension(project: Project) -> str:
    project.refresh_from_db()
    return json.dumps({"ends_on": add_months(project.ends_on, 6).isoformat()})


# --------------------------------------------------------------------------- the whole path


def test_a_project_goes_from_contracted_to_amendment_1(capsys, world, tmp_path):
    project = make_application_in("contracted", world=world).project
    today = timezone.localdate().isoformat()
    sent = ok(capsys, "project", "send", project.pk)
    assert (sent["state"], sent["sign_by"] is not None) == ("signing", True)
    signed = ok(capsys, "project", "sign", project.pk, "--file", write(tmp_path, "任务书.pdf", PDF_BYTES))
    assert signed["unit_signed_at"] is not None
    countersigned = ok(capsys, "project", "countersign", project.pk)
    assert countersigned["state"] == "in_progress"
    account = ok(capsys, "org", "bank-account", world.org.pk, "--bank", "工商银行南宁分行", "--name", world.org.name, "--number", ACCOUNT)
    assert ACCOUNT not in json.dumps(account)
    first = project.tranches.get(order=1)
    paid = ok(capsys, "project", "pay", project.pk, "--tranche", 1, "--amount", first.amount, "--paid-on", today, "--voucher", "PZ-001")
    assert paid["payment"]["amount"] == first.amount
    assert paid["ledger"]["paid"] == first.amount
    assert paid["ledger"]["outstanding"] == project.approved_amount - first.amount
    change = ok(
        capsys, "project", "change", project.pk, "--kind", "extension", "--reasons", "设备到货延迟", "--payload", _extension(project)
    )
    assert change["state"] == "requested"
    reviewed = ok(capsys, "project", "change-opinion", change["id"], "--agree", "--opinion", "同意延期")
    assert (reviewed["state"], reviewed["opinion_agrees"]) == ("reviewed", True)
    decided = ok(capsys, "project", "change-decide", change["id"], "--approve", "--comment", "同意")
    assert (decided["state"], decided["amendment"]) == ("approved", 1)
    shown = ok(capsys, "project", "show", project.pk)
    assert shown["project"]["amendment"] == 1
    assert shown["project"]["ends_on"] == change["payload"]["ends_on"]
    assert [v["number"] for v in shown["versions"]] == [0, 1]
    assert shown["task_book"]["ends_on"] == change["payload"]["ends_on"]
    assert shown["ledger"]["paid"] == first.amount
    assert shown["payments"][0]["voucher"] == "PZ-001"
    assert shown["tranches"][0]["paid"] == first.amount
    assert shown["changes"][0]["amendment"] == 1


# --------------------------------------------------------------------------- list, show


def test_list_shows_each_project_of_the_call(capsys, world, project):
    rows = ok(capsys, "project", "list", "--call", world.call.pk)
    assert [r["id"] for r in rows] == [project.pk]
    assert set(rows[0]) == {
        "id",
        "number",
        "title",
        "direction",
        "organisation",
        "state",
        "state_label",
        "approved_amount",
        "paid",
        "sign_by",
    }
    assert (rows[0]["state"], rows[0]["state_label"], rows[0]["paid"], rows[0]["sign_by"]) == ("drafting", "任务书编制", 0, None)


def test_list_filters_by_state_programme_and_direction(capsys, project):
    assert ok(capsys, "project", "list", "--state", "signing") == []
    assert [r["id"] for r in ok(capsys, "project", "list", "--programme", project.programme, "--direction", project.direction)] == [
        project.pk
    ]


def test_list_refuses_an_unknown_state_naming_it(capsys, project):
    err = bad(capsys, "project", "list", "--state", "frozen")
    assert "--state" in err
    assert "frozen" in err


def test_show_has_the_task_book_ledger_tranches_and_versions(capsys, project):
    body = ok(capsys, "project", "show", project.pk)
    assert set(body) >= {"project", "task_book", "ledger", "tranches", "payments", "changes", "versions"}
    assert body["task_book"]["number"] == project.number
    assert body["ledger"] == {
        "granted": project.approved_amount,
        "paid": 0,
        "outstanding": project.approved_amount,
        "stopped": 0,
        "due_back": 0,
        "recovered": 0,
        "net": 0,
    }
    assert sum(t["amount"] for t in body["tranches"]) == project.approved_amount
    assert (body["payments"], body["changes"], body["versions"]) == ([], [], [])


@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_show_an_unknown_project_names_it(capsys, pk):
    err = bad(capsys, "project", "show", pk)
    assert err.startswith("yongke: project: 项目不存在")
    assert pk in err


# --------------------------------------------------------------------------- edit


def test_edit_changes_the_task_book(capsys, project, tmp_path):
    f = write(tmp_path, "changes.json", {"title": "改名后的项目", "lock_version": project.lock_version})
    body = ok(capsys, "project", "edit", project.pk, "--changes", f)
    assert body["task_book"]["title"] == "改名后的项目"
    assert body["project"]["lock_version"] == project.lock_version + 1


def test_edit_reads_standard_input(capsys, monkeypatch, project):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps({"content": "研究内容"}).encode())))
    assert ok(capsys, "project", "edit", project.pk, "--changes", "-")["task_book"]["content"] == "研究内容"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{\n  "title": ,\n}', "changes.json:2"),
        (b"\xff\xfe{\x00\x00\xd8", "UTF-16"),  # a lone surrogate: UTF-16 itself is read
        ("[1, 2]", "JSON 对象"),
        ({"title": "x", "lock_version": "1"}, "lock_version"),
        ({"colour": "red"}, "colour"),
        ({"tranches": [{"share_pct": 50, "condition": "signing"}]}, "tranches"),
    ],
)
def test_edit_bad_changes_exit_2_naming_the_field(capsys, project, tmp_path, content, needle):
    err = bad(capsys, "project", "edit", project.pk, "--changes", write(tmp_path, "changes.json", content))
    assert needle in err
    assert Project.objects.get(pk=project.pk).lock_version == project.lock_version


def test_edit_a_directory_or_a_missing_file_names_the_flag(capsys, project, tmp_path):
    assert "--changes" in bad(capsys, "project", "edit", project.pk, "--changes", str(tmp_path))
    assert "--changes" in bad(capsys, "project", "edit", project.pk, "--changes", str(tmp_path / "nope.json"))


def test_edit_on_a_stale_version_is_refused(capsys, project, tmp_path):
    err = bad(capsys, "project", "edit", project.pk, "--changes", write(tmp_path, "c.json", {"title": "x", "lock_version": 99}))
    assert "版本" in err


def test_edit_once_sent_is_a_negative_verdict(capsys, signing, tmp_path):
    bad(capsys, "project", "edit", signing.pk, "--changes", write(tmp_path, "c.json", {"title": "x"}), code=1)


# --------------------------------------------------------------------------- the signing steps


def test_send_sets_the_deadline(capsys, project):
    body = ok(capsys, "project", "send", project.pk)
    assert body["state"] == "signing"
    assert body["sign_by"].endswith("24:00")


def test_sign_refuses_a_file_that_is_not_a_pdf(capsys, signing, tmp_path):
    err = bad(capsys, "project", "sign", signing.pk, "--file", write(tmp_path, "stamped.pdf", "not a pdf"))
    assert "file" in err
    assert Project.objects.get(pk=signing.pk).unit_signed_at is None


def test_sign_names_the_flag_of_a_directory_or_a_missing_file(capsys, signing, tmp_path):
    assert "--file" in bad(capsys, "project", "sign", signing.pk, "--file", str(tmp_path))
    assert "--file" in bad(capsys, "project", "sign", signing.pk, "--file", str(tmp_path / "nope.pdf"))
    assert "--file" in bad(capsys, "project", "sign", signing.pk)


def test_countersign_before_the_unit_signs_is_refused(capsys, signing):
    assert "尚未签订" in bad(capsys, "project", "countersign", signing.pk, code=1)


def test_countersign_keeps_version_0(capsys, signed):
    assert ok(capsys, "project", "countersign", signed.pk)["state"] == "in_progress"
    assert list(signed.versions.values_list("number", flat=True)) == [0]


def test_reopen_needs_a_comment_and_returns_to_drafting(capsys, signed):
    assert "--comment" in bad(capsys, "project", "reopen", signed.pk)
    body = ok(capsys, "project", "reopen", signed.pk, "--comment", "经费预算需调整")
    assert (body["state"], body["sign_by"], body["unit_signed_at"]) == ("drafting", None, None)


def test_revoke_ends_the_project(capsys, project):
    body = ok(capsys, "project", "revoke", project.pk, "--comment", "放弃立项")
    assert (body["state"], body["ended_at"] is not None) == ("revoked", True)


def test_terminate_a_project_in_progress(capsys, in_progress):
    assert ok(capsys, "project", "terminate", in_progress.pk, "--comment", "技术路线无法实现")["project"]["state"] == "terminated"


def test_terminate_while_drafting_is_refused(capsys, project):
    bad(capsys, "project", "terminate", project.pk, "--comment", "x", code=1)


def test_a_step_on_an_unknown_project_names_it(capsys):
    assert "project: 项目不存在" in bad(capsys, "project", "send", "424242")


def test_a_step_as_a_user_without_the_role_is_refused_in_one_line(capsys, world, project):
    bad(capsys, "project", "send", project.pk, "--as", world.applicant.username)
    assert Project.objects.get(pk=project.pk).state == "drafting"


# --------------------------------------------------------------------------- expire, remind


def test_expire_revokes_what_was_not_signed_in_time(capsys, signing):
    assert ok(capsys, "project", "expire")["revoked"] == []
    later = (timezone.localdate() + dt.timedelta(days=90)).isoformat() + "T09:00"
    body = ok(capsys, "project", "expire", "--now", later)
    assert [p["id"] for p in body["revoked"]] == [signing.pk]
    assert body["revoked"][0]["state"] == "revoked"


def test_expire_names_a_bad_time(capsys):
    assert "--now" in bad(capsys, "project", "expire", "--now", "next tuesday")


def test_remind_lists_the_units_whose_time_ends_soon(capsys, signing):
    assert ok(capsys, "project", "remind")["reminded"] == []
    body = ok(capsys, "project", "remind", "--days", 60)
    assert [r["project"] for r in body["reminded"]] == [signing.pk]


def test_remind_refuses_days_out_of_range(capsys):
    assert "days" in bad(capsys, "project", "remind", "--days", 0)


# --------------------------------------------------------------------------- bank account, payments, ledger


def test_bank_account_by_uscc_prints_the_masked_number_only(capsys, world):
    body = ok(capsys, "org", "bank-account", world.org.uscc, "--bank", "广西北部湾银行", "--name", world.org.name, "--number", ACCOUNT)
    assert body["organisation"]["id"] == world.org.pk
    assert body["number_masked"].endswith(ACCOUNT[-4:])
    assert ACCOUNT not in json.dumps(body)


@pytest.mark.parametrize(
    ("org", "number", "needle"),
    [("999999", ACCOUNT, "org: 单位不存在"), ("91450100MA5L00000X", ACCOUNT, "org: 单位不存在"), (None, "12ab", "number")],
)
def test_bank_account_bad_input_names_the_field(capsys, world, org, number, needle):
    err = bad(capsys, "org", "bank-account", org or world.org.pk, "--bank", "银行", "--name", "户名", "--number", number)
    assert needle in err
    assert ACCOUNT not in err


def test_pay_records_a_payment_and_prints_the_ledger(capsys, paid):
    today = timezone.localdate().isoformat()
    body = ok(capsys, "project", "pay", paid.pk, "--tranche", 1, "--amount", "10万", "--paid-on", today, "--voucher", "PZ-9")
    assert body["payment"]["amount"] == 100_000
    assert body["payment"]["account"]["number_masked"].endswith(ACCOUNT[-4:])
    assert body["ledger"]["paid"] == 100_000
    assert Payment.objects.filter(project=paid, voucher="PZ-9").exists()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--tranche", "1", "--amount", "九十万", "--paid-on", "TODAY"], "--amount"),
        (["--tranche", "1", "--amount", "1000", "--paid-on", "2026-13-01"], "--paid-on"),
        (["--tranche", "9", "--amount", "1000", "--paid-on", "TODAY"], "tranche"),
        (["--tranche", "one", "--amount", "1000", "--paid-on", "TODAY"], "--tranche"),
        (["--tranche", "1", "--amount", "1000", "--paid-on", "2999-01-01"], "paid_on"),
    ],
)
def test_pay_bad_input_exits_2_naming_the_field(capsys, paid, argv, needle):
    argv = [timezone.localdate().isoformat() if a == "TODAY" else a for a in argv]
    assert needle in bad(capsys, "project", "pay", paid.pk, *argv, "--voucher", "PZ-1")
    assert not Payment.objects.exists()


def test_pay_what_the_rules_refuse_is_a_negative_verdict(capsys, paid):
    today = timezone.localdate().isoformat()
    left = paid.tranches.get(order=1).amount
    assert "拨付条件" in bad(
        capsys, "project", "pay", paid.pk, "--tranche", 2, "--amount", 1000, "--paid-on", today, "--voucher", "V1", code=1
    )
    bad(capsys, "project", "pay", paid.pk, "--tranche", 1, "--amount", left + 1, "--paid-on", today, "--voucher", "V2", code=1)


def test_pay_without_a_bank_account_is_refused(capsys, in_progress):
    today = timezone.localdate().isoformat()
    assert "收款账户" in bad(
        capsys, "project", "pay", in_progress.pk, "--tranche", 1, "--amount", 1000, "--paid-on", today, "--voucher", "V", code=1
    )


def test_pay_as_someone_who_is_not_finance_is_refused(capsys, world, paid):
    today = timezone.localdate().isoformat()
    argv = ("project", "pay", paid.pk, "--tranche", 1, "--amount", 1000, "--paid-on", today, "--voucher", "V")
    assert "财务" in bad(capsys, *argv, "--as", world.officer.username)
    assert ok(capsys, *argv, "--as", world.finance.username)["payment"]["amount"] == 1000


def test_ledger_of_a_call_adds_up(capsys, world, paid):
    today = timezone.localdate().isoformat()
    ok(capsys, "project", "pay", paid.pk, "--tranche", 1, "--amount", 5000, "--paid-on", today, "--voucher", "V5")
    body = ok(capsys, "project", "ledger", "--call", world.call.pk)
    assert [r["id"] for r in body["rows"]] == [paid.pk]
    assert body["total"]["paid"] == body["rows"][0]["paid"] == 5000
    assert body["total"]["granted"] == paid.approved_amount
    assert isinstance(body["budgets"], list)


def test_ledger_of_an_unknown_call_names_it(capsys):
    assert "--call" in bad(capsys, "project", "ledger", "--call", 4242)


# --------------------------------------------------------------------------- change requests


def test_a_second_extension_is_refused(capsys, in_progress):
    first = ok(
        capsys, "project", "change", in_progress.pk, "--kind", "extension", "--reasons", "延期", "--payload", _extension(in_progress)
    )
    ok(capsys, "project", "change-opinion", first["id"], "--agree", "--opinion", "同意")
    ok(capsys, "project", "change-decide", first["id"], "--approve")
    err = bad(
        capsys,
        "project",
        "change",
        in_progress.pk,
        "--kind",
        "extension",
        "--reasons",
        "再延期",
        "--payload",
        _extension(in_progress),
        code=1,
    )
    assert "最多 1 次" in err


def test_change_reads_its_payload_and_attachments_from_files(capsys, in_progress, tmp_path):
    payload = write(tmp_path, "payload.json", _extension(in_progress))
    attachment = write(tmp_path, "说明.pdf", PDF_BYTES)
    body = ok(
        capsys,
        "project",
        "change",
        in_progress.pk,
        "--kind",
        "extension",
        "--reasons",
        "延期",
        "--payload",
        f"@{payload}",
        "--file",
        attachment,
    )
    assert [f["filename"] for f in body["files"]] == ["说明.pdf"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--kind", "extension", "--payload", "{ends_on: 1}"], "--payload"),
        (["--kind", "extension", "--payload", "@/no/such/file.json"], "--payload"),
        (["--kind", "extension", "--payload", '{"ends_on": "soon"}'], "payload.ends_on"),
        (["--kind", "extension", "--payload", "[]"], "payload"),
        (["--kind", "holiday"], "--kind"),
        (["--kind", "termination", "--file", "/no/such/file.pdf"], "--file"),
    ],
)
def test_change_bad_input_exits_2_naming_the_field(capsys, in_progress, extra, needle):
    assert needle in bad(capsys, "project", "change", in_progress.pk, "--reasons", "理由", *extra)
    assert not ChangeRequest.objects.exists()


def test_a_change_before_the_project_is_in_progress_is_refused(capsys, project):
    bad(capsys, "project", "change", project.pk, "--kind", "termination", "--reasons", "理由", code=1)


def test_change_opinion_decide_and_withdraw_bad_input(capsys, in_progress):
    assert "change: 变更申请不存在" in bad(capsys, "project", "change-opinion", "4242", "--agree", "--opinion", "x")
    cr = ok(capsys, "project", "change", in_progress.pk, "--kind", "termination", "--reasons", "无法继续")
    assert "--agree" in bad(capsys, "project", "change-opinion", cr["id"], "--opinion", "x")
    assert "尚待推荐单位意见" in bad(capsys, "project", "change-decide", cr["id"], "--approve", code=1)
    ok(capsys, "project", "change-opinion", cr["id"], "--disagree", "--opinion", "不同意")
    assert "comment" in bad(capsys, "project", "change-decide", cr["id"], "--refuse")
    refused = ok(capsys, "project", "change-decide", cr["id"], "--refuse", "--comment", "继续实施")
    assert (refused["state"], refused["amendment"]) == ("refused", None)
    assert "撤回" in bad(capsys, "project", "change-withdraw", cr["id"], code=1)


def test_change_withdraw(capsys, in_progress):
    cr = ok(capsys, "project", "change", in_progress.pk, "--kind", "termination", "--reasons", "无法继续")
    assert ok(capsys, "project", "change-withdraw", cr["id"])["state"] == "withdrawn"


def test_an_approved_termination_ends_the_project(capsys, in_progress):
    cr = ok(capsys, "project", "change", in_progress.pk, "--kind", "termination", "--reasons", "无法继续")
    ok(capsys, "project", "change-opinion", cr["id"], "--agree", "--opinion", "同意")
    ok(capsys, "project", "change-decide", cr["id"], "--approve")
    assert ok(capsys, "project", "show", in_progress.pk)["project"]["state"] == "terminated"


# --------------------------------------------------------------------------- settings


def test_settings_set_the_time_to_sign_and_the_plan(capsys, world, project):
    plan = [{"label": "首拨", "share_pct": 60, "condition": "signing"}, {"label": "余款", "share_pct": 40, "condition": "acceptance"}]
    body = ok(capsys, "project", "settings", "--call", world.call.pk, "--sign-days", 15, "--tranches", json.dumps(plan, ensure_ascii=False))
    assert body == {"call": world.call.pk, "sign_days": 15, "tranches": plan}
    sent = ok(capsys, "project", "send", project.pk)
    assert sent["sign_by"] == f"{(timezone.localdate() + dt.timedelta(days=15)).isoformat()} 24:00"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--tranches", "[{"], "--tranches"),
        (["--tranches", '[{"share_pct": 50, "condition": "signing"}]'], "tranches"),
        (["--tranches", '{"a": 1}'], "tranches"),
        (["--sign-days", "0"], "sign_days"),
    ],
)
def test_settings_bad_input_names_the_field(capsys, world, argv, needle):
    assert needle in bad(capsys, "project", "settings", "--call", world.call.pk, *argv)


def test_settings_of_an_unknown_call_names_it(capsys):
    assert "--call" in bad(capsys, "project", "settings", "--call", 4242, "--sign-days", 10)


# --------------------------------------------------------------------------- files out


def test_pdf_writes_the_task_book(capsys, project, tmp_path):
    out = tmp_path / "任务书.pdf"
    body = ok(capsys, "project", "pdf", project.pk, "--out", out)
    assert out.read_bytes().startswith(b"%PDF")
    assert body["bytes"] == out.stat().st_size


def test_pdf_to_a_directory_names_the_flag(capsys, project, tmp_path):
    assert "--out" in bad(capsys, "project", "pdf", project.pk, "--out", tmp_path)
    assert "--out" in bad(capsys, "project", "pdf", project.pk, "--out", tmp_path / "no" / "such" / "dir.pdf")


def test_export_writes_the_call_workbook(capsys, world, paid, tmp_path):
    from openpyxl import load_workbook

    today = timezone.localdate().isoformat()
    ok(capsys, "project", "pay", paid.pk, "--tranche", 1, "--amount", 5000, "--paid-on", today, "--voucher", "V-X")
    out = tmp_path / "台账.xlsx"
    body = ok(capsys, "project", "export", "--call", world.call.pk, "--out", out)
    assert body["bytes"] == out.stat().st_size
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["项目", "考核指标", "拨款", "合计"]


def test_export_bad_input_names_the_flag(capsys, world, tmp_path):
    assert "--call" in bad(capsys, "project", "export", "--call", 4242, "--out", tmp_path / "x.xlsx")
    assert "--out" in bad(capsys, "project", "export", "--call", world.call.pk, "--out", tmp_path)
