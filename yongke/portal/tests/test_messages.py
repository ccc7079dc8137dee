"""What people read when something is refused: Chinese on a Chinese page, English on an English
one, the field named by its label (never by its code), every error of a form at once, a failed
batch keeping its selection, amounts read as people type them, audit entries by their labels.

"No field name in an error message" is checked literally: on each page, the error messages'
visible text (form errors, page messages, the reason on an error page, an htmx error answer)
must not contain, as a whole word, the name of any input of the page's forms, any field a
service names in `detail.field`, or the English gloss of a domain message (two English words in
a row). Each scenario must produce at least one error message, so the check cannot pass vacuously.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yongke.applications.models import Application
from yongke.audit.services import audit_record
from yongke.portal.tests.conftest import an_application
from yongke.portal.tests.test_review_awards import STATEMENT, _experts, _in_review
from yongke.portal.texts import FIELD_LABELS
from yongke.review import services as review
from yongke.review.models import ReviewAssignment

ERROR_CLASSES = {"errorlist", "msg-error", "msg-warning", "error-why", "callout"}
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr", "area", "base", "embed", "track"}
CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")
HUGE = "12345678901234567890123456"


class Page(HTMLParser):
    """The error messages' visible text, the names of the page's inputs, and each form's fields as a browser would post them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.errors: list[str] = []
        self.names: set[str] = set()
        self.forms: list[dict] = []
        self._stack: list[bool] = []  # per open element: does it start an error message?
        self._depth = 0  # how many error elements are open
        self._buf: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("name"):
            self.names.add(a["name"])
        self._fields(tag, a)
        if tag in VOID:
            return
        classes = set((a.get("class") or "").split())
        starts = bool(classes & ERROR_CLASSES) and (tag != "div" or "bad" in classes or "callout" not in classes)
        self._stack.append(starts)
        if starts:
            self._depth += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None
        if tag in VOID or not self._stack:
            return
        if self._stack.pop():
            self._depth -= 1
            if self._depth == 0:
                text = " ".join("".join(self._buf).split())
                if text:
                    self.errors.append(text)
                self._buf = []

    def handle_data(self, data):
        if self._depth:
            self._buf.append(data)
        if self._textarea and self._form is not None:
            self._form["data"][self._textarea] = self._form["data"].get(self._textarea, "") + data

    def _fields(self, tag, a):
        if tag == "form":
            self._form = {"action": a.get("action", ""), "id": a.get("id", ""), "data": {}}
            self.forms.append(self._form)
            return
        if self._form is None or (not a.get("name") and tag != "option"):
            return
        data = self._form["data"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    data[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                data[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and (self._select not in data or "selected" in a):
            data[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            data.setdefault(a["name"], "")


def form_of(html: str, action: str) -> dict:
    return next(f["data"] for f in Page(html).forms if f["action"] == action)


def field_names(*pages: str) -> set[str]:
    """Every input name of the pages and every field a service names: ASCII words of 3 letters or more."""
    names = set(FIELD_LABELS)
    for html in pages:
        names |= Page(html).names
    names |= {n.removeprefix("fact__") for n in names}
    return {n for n in names if len(n) >= 3 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)}


def assert_chinese_errors(html: str, *, also: tuple[str, ...] = (), expect: int = 1) -> list[str]:
    """The page's error messages: at least `expect` of them, Chinese, naming no field by its code."""
    errors = Page(html).errors
    assert len(errors) >= expect, f"expected error messages, found {errors}"
    names = field_names(html, *also)
    for text in errors:
        assert CJK.search(text), f"not Chinese: {text!r}"
        named = [n for n in names if re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", text)]
        assert not named, f"the message {text!r} names the field(s) {named} by their code"
        assert not ENGLISH_PHRASE.search(text), f"English in a Chinese message: {text!r}"
    return errors


def assert_english_errors(html: str, *, expect: int = 1) -> list[str]:
    errors = Page(html).errors
    assert len(errors) >= expect, f"expected error messages, found {errors}"
    for text in errors:
        assert not CJK.search(text), f"Chinese on an English page: {text!r}"
    return errors


@pytest.fixture(autouse=True)
def _chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


def _editable(world, **kwargs):
    return an_application(world, facts={"kpi_invention_patent_applications": 3}, **kwargs)


def _app_form(client, app) -> tuple[str, dict]:
    page = client.get(f"/applications/{app.pk}/").content.decode()
    return page, form_of(page, f"/applications/{app.pk}/")


# --------------------------------------------------------------------------- money as people type it


def test_5000_wan_is_read_as_fifty_million_and_shown_back(client, world):
    app = _editable(world)
    client.force_login(world.applicant)
    _page, data = _app_form(client, app)
    data.update({"requested_amount": "100万", "fact__kpi_new_revenue": "5000万", "then": "save"})
    saved = client.post(f"/applications/{app.pk}/", data, follow=True).content.decode()
    app.refresh_from_db()
    assert app.facts["kpi_new_revenue"] == 50_000_000
    assert app.requested_amount == 1_000_000
    assert "= 50,000,000 元（5,000 万元）" in saved  # the value read, shown under the field
    assert "= 1,000,000 元（100 万元）" in saved


@pytest.mark.parametrize("typed", ["5,000万元", "5000 万元", "50000000", "５０００万", "0.5亿"])
def test_the_ways_people_write_fifty_million_all_read_the_same(client, world, typed):
    app = _editable(world)
    client.force_login(world.applicant)
    _page, data = _app_form(client, app)
    data.update({"fact__kpi_new_revenue": typed, "then": "save"})
    client.post(f"/applications/{app.pk}/", data)
    app.refresh_from_db()
    assert app.facts["kpi_new_revenue"] == 50_000_000


def test_the_live_panel_reads_5000_wan_instead_of_missing_information(client, world):
    app = _editable(world)
    client.force_login(world.applicant)
    _page, data = _app_form(client, app)
    data["fact__kpi_new_revenue"] = "5000万"
    panel = client.post(f"/applications/{app.pk}/check/", data, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-rule="1:revenue" data-result="pass"' in panel


def test_every_bad_field_of_the_form_is_reported_at_once_by_its_label(client, world):
    app = _editable(world)
    client.force_login(world.applicant)
    page, data = _app_form(client, app)
    data.update(
        {"title": "", "requested_amount": "5000万美元", "self_raised_amount": HUGE, "fact__kpi_invention_patent_applications": HUGE}
    )
    response = client.post(f"/applications/{app.pk}/", data)
    assert response.status_code == 400  # refused, never a 500
    html = response.content.decode()
    errors = assert_chinese_errors(html, also=(page,), expect=4)
    joined = "\n".join(errors)
    assert "申请财政资助（元）：无法识别“5000万美元”" in joined
    assert "自筹经费（元）：金额不能超过 1,000,000,000,000 元" in joined
    assert "承诺申请发明专利数（件）：不能超过 1,000,000" in joined
    app.refresh_from_db()
    assert app.self_raised_amount == 0  # nothing saved


@pytest.mark.parametrize(("typed", "reason"), [("0.5", "不能有角、分"), ("-5万", "不能为负数"), ("五千万", "无法识别")])
def test_a_refused_amount_says_why(client, world, typed, reason):
    app = _editable(world)
    client.force_login(world.applicant)
    _page, data = _app_form(client, app)
    data["fact__kpi_new_revenue"] = typed
    html = client.post(f"/applications/{app.pk}/", data).content.decode()
    assert any(reason in e and "新增" in e for e in Page(html).errors)  # the reason, beside the fact's label


def test_a_decided_amount_is_read_as_people_type_it(client, world):
    app = an_application(world, "recommended")
    client.force_login(world.officer)
    for action in ("accept", "start_review"):
        app.refresh_from_db()
        client.post(f"/applications/{app.pk}/transition/", {"action": action, "lock_version": app.lock_version})
    app.refresh_from_db()
    bad = client.post(f"/applications/{app.pk}/transition/", {"action": "fund", "amount": "九十万"}, follow=True).content.decode()
    assert any(e.startswith("金额：无法识别的金额") for e in assert_chinese_errors(bad))
    huge = client.post(f"/applications/{app.pk}/transition/", {"action": "fund", "amount": HUGE}, follow=True)
    assert huge.status_code == 200  # a page with the reason, not a 500
    assert any(
        e.startswith("金额超过上限") for e in assert_chinese_errors(huge.content.decode())
    )  # names the field itself: no "金额：" before it
    app.refresh_from_db()
    assert app.state == "expert_review"
    assert app.decided_amount is None


# --------------------------------------------------------------------------- every role's forms: Chinese, fields by their labels


def test_registration_errors_are_chinese_and_name_no_field(client, db):
    page = client.get("/register/").content.decode()
    data = form_of(page, "/register/")
    data.update({"name": "测试单位", "uscc": "123", "username": "someone", "full_name": "张三", "password1": "abc", "password2": "abd"})
    html = client.post("/register/", data).content.decode()
    errors = assert_chinese_errors(html, also=(page,), expect=4)  # the code, the password's length, the mismatch and the licence, together
    assert any("密码至少需要 10 个字符" in e for e in errors)
    assert any("两次输入的密码不一致" in e for e in errors)
    assert not any("确保该变量" in e for e in errors)  # Django's own wording is replaced


def test_a_wrong_password_at_sign_in_is_chinese(client, world):
    page = client.get("/accounts/login/").content.decode()
    html = client.post("/accounts/login/", {"username": world.applicant.username, "password": "wrong"}).content.decode()
    assert_chinese_errors(html, also=(page,))


def test_the_org_admins_member_form_names_fields_by_their_labels(client, world):
    client.force_login(world.org_admin)
    page = client.get("/org/members/").content.decode()
    data = form_of(page, next(f["action"] for f in Page(page).forms if "password" in f["data"]))
    data.update({"username": world.applicant.username, "full_name": "王五", "password": "short", "id_number": "450103"})
    html = client.post("/org/members/", data).content.decode()
    errors = assert_chinese_errors(html, also=(page,), expect=3)
    assert any("该用户名已被使用" in e for e in errors)


def test_an_attachment_of_the_wrong_type_is_refused_in_chinese_without_the_field_name(client, world):
    app = _editable(world)
    client.force_login(world.applicant)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    bad = {"kind": "其他材料", "file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00")}
    html = client.post(f"/applications/{app.pk}/attachments/", bad, follow=True).content.decode()
    errors = assert_chinese_errors(html, also=(page,))
    assert any(e.startswith("文件：只接受 PDF") for e in errors)
    bad["file"] = SimpleUploadedFile("a.pdf", b"MZ\x90\x00")
    part = client.post(f"/applications/{app.pk}/attachments/", bad, HTTP_HX_REQUEST="true")
    assert part.status_code == 400
    text = part.content.decode()
    assert text.startswith("文件：只接受 PDF")
    assert "file" not in text
    assert "not allowed" not in text


def test_a_step_without_its_required_comment_is_refused_naming_the_comment_in_chinese(client, world):
    app = an_application(world, "recommended")
    client.force_login(world.officer)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    html = client.post(f"/applications/{app.pk}/transition/", {"action": "refuse", "comment": ""}, follow=True).content.decode()
    errors = assert_chinese_errors(html, also=(page,))
    assert any(e.startswith("意见：") and "须填写意见或理由" in e for e in errors)


def test_the_officers_import_of_a_wrong_file_is_refused_in_chinese(client, world):
    client.force_login(world.officer)
    page = client.get("/org/import/").content.decode()
    html = client.post("/org/import/", {"file": SimpleUploadedFile("名单.txt", b"a,b\n1,2\n")}, follow=True).content.decode()
    assert any(e.startswith("文件：") for e in assert_chinese_errors(html, also=(page,)))


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("applicant", "/officer/"),
        ("recommender", "/calls/"),
        ("officer", "/calls/"),
        ("finance", "/recommend/"),
        ("expert", "/officer/"),
        ("auditor", "/calls/"),
    ],
)
def test_a_page_for_another_role_says_why_in_chinese(client, world, role, path):
    client.force_login(world.users[role])
    response = client.get(path)
    assert response.status_code == 403
    (why,) = assert_chinese_errors(response.content.decode())
    assert why.startswith("此页面仅供")


# --------------------------------------------------------------------------- all the errors of a form at once


@pytest.fixture
def scoring(world):
    apps = _in_review(world)
    _experts(world)
    rnd = review.review_round_run(actor=world.officer, call=world.call, k=2, max_load=3)
    task = ReviewAssignment.objects.filter(round=rnd, expert__user=world.expert).first()
    review.invitation_respond(actor=world.expert, assignment=task, accept=True, statement=STATEMENT)
    return task, apps


def test_an_experts_score_errors_appear_all_at_once(client, world, scoring):
    task, _apps = scoring
    client.force_login(world.expert)
    page = client.get(f"/expert/tasks/{task.pk}/").content.decode()
    response = client.post(
        f"/expert/tasks/{task.pk}/score/",
        {"points_innovation": "", "points_feasibility": "abc", "points_benefit": "120", "points_team": "-1", "comment": " "},
    )
    assert response.status_code == 400
    errors = assert_chinese_errors(response.content.decode(), also=(page,), expect=5)  # four criteria and the comment
    assert sum("的评分应在0至100之间" in e for e in errors) == 4
    assert any("须填写评审意见" in e for e in errors)
    task.refresh_from_db()
    assert task.state == "accepted"


# --------------------------------------------------------------------------- a failed batch keeps its selection


def test_a_failed_batch_keeps_the_selection_the_step_and_the_comment(client, world):
    apps = [an_application(world, "submitted") for _ in range(3)]
    client.force_login(world.recommender)
    page = client.get("/recommend/").content.decode()
    ids = [apps[0].pk, apps[2].pk]
    response = client.post("/batch/", {"action": "not_recommend", "ids": ids, "comment": "", "next": "/recommend/"}, follow=True)
    html = response.content.decode()
    errors = assert_chinese_errors(html, also=(page,), expect=2)  # one per application, each by its number
    assert all(re.match(r"申报 #\d+：意见：", e) for e in errors)
    for pk in ids:
        assert re.search(rf'<input type="checkbox" name="ids" value="{pk}"[^>]* checked', html), f"#{pk} is no longer selected"
    assert not re.search(rf'<input type="checkbox" name="ids" value="{apps[1].pk}"[^>]* checked', html)
    assert re.search(r'<option value="not_recommend" selected', html)
    # the selection is kept once, like a message: the next visit starts afresh
    again = client.get("/recommend/").content.decode()
    assert " checked" not in again.split("<tbody>", 1)[1]
    assert sorted(Application.objects.values_list("state", flat=True)) == ["submitted"] * 3


def test_a_partly_done_batch_keeps_only_the_ones_not_done(client, world):
    done, refused = an_application(world, "submitted"), an_application(world, "draft")
    client.force_login(world.recommender)
    client.post("/batch/", {"action": "recommend", "ids": [done.pk, refused.pk], "comment": "同意推荐", "next": "/recommend/?state=all"})
    html = client.get("/recommend/?state=all").content.decode()
    done.refresh_from_db()
    assert done.state == "recommended"
    assert not re.search(rf'value="{done.pk}"[^>]* checked', html)


# --------------------------------------------------------------------------- the English page is English


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_an_english_page_gets_the_english_gloss_and_labels(english, world):
    app = _editable(world)
    english.force_login(world.applicant)
    html = english.post(
        f"/applications/{app.pk}/attachments/", {"kind": "x", "file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00")}, follow=True
    ).content.decode()
    assert '<html lang="en">' in html
    assert "File type not allowed" in assert_english_errors(html)


def test_an_english_form_refuses_an_amount_in_english(english, world):
    app = _editable(world)
    english.force_login(world.applicant)
    _page, data = _app_form(english, app)
    data.update({"requested_amount": "5000万美元", "title": "Test"})
    html = english.post(f"/applications/{app.pk}/", data).content.decode()
    errors = Page(html).errors
    money = [e for e in errors if "not an amount" in e]
    assert money, errors
    assert money[0].startswith("Funding requested (yuan): ")  # the field by its English label
    assert not CJK.search(re.sub("[万亿元]", "", money[0].replace("5000万美元", "")))  # only what was typed, and the unit words explained


def test_an_english_score_form_reports_every_error_in_english(english, world, scoring):
    task, _apps = scoring
    english.force_login(world.expert)
    response = english.post(f"/expert/tasks/{task.pk}/score/", {"comment": ""})
    errors = [e for e in Page(response.content.decode()).errors if "score" in e.lower() or "comment" in e.lower()]
    assert len(errors) == 5, errors
    for e in errors:
        assert not CJK.search(e.split("”")[-1]), e  # the criterion's name is guide text; the rest is English


def test_an_english_403_says_why_in_english(english, world):
    english.force_login(world.officer)
    response = english.get("/calls/")
    assert response.status_code == 403
    (why,) = assert_english_errors(response.content.decode())
    assert why.startswith("This page is for")


# --------------------------------------------------------------------------- the audit log by labels


def test_the_audit_log_shows_actions_objects_and_states_by_their_labels(client, world):
    app = an_application(world, "submitted")
    audit_record(actor=world.officer, action="check", target_type="application", target_id=app.pk, from_state="claimed", to_state="checked")
    client.force_login(world.auditor)
    html = client.get("/audit/").content.decode()
    body = html.split("<tbody>", 1)[1]
    cells = re.findall(r"<td>(.*?)</td>", body, re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", c) for c in cells)
    assert "创建草稿" in text  # application_create
    assert "核查通过" in text  # check, a step of the post-subsidy workflow
    assert "已申领，待核查 → 核查通过" in text  # claimed → checked
    for code in ("application_create", "application_update", "check", "claimed", "checked", "application#"):
        assert not re.search(rf"(?<![\w\"=]){re.escape(code)}(?![\w\"])", text), f"the raw code {code} is shown"
    assert 'title="check"' in body  # the code is still there, for whoever needs it
    options = re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]*)</option>', html)
    assert ("application_update", "修改申报") in options
    assert ("check", "核查通过") in options


def test_the_bad_rows_of_an_import_are_listed_by_their_labels_in_chinese(client, world, settings, django_capture_on_commit_callbacks):
    from yongke.jobs.models import Job
    from yongke.orgs.validators import uscc_with_check

    settings.YONGKE_JOB_BACKEND = "immediate"
    good = uscc_with_check("91450103MA5J00040")
    rows = f"统一社会信用代码,单位名称,单位类型,注册地\n{good},好公司,企业,青秀区\n123,坏公司,企业,青秀区\n{good},重复公司,企业,青秀区\n"
    client.force_login(world.officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/org/import/", {"file": SimpleUploadedFile("orgs.csv", rows.encode("utf-8"))})
    job = Job.objects.get()
    html = client.get(f"/jobs/{job.pk}/progress/").content.decode()
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td>(.*?)</td>", table, re.S)]
    fields, problems = cells[1::3], cells[2::3]
    assert fields
    assert set(fields) == {"统一社会信用代码"}  # the column by its label, not "uscc"
    for text in problems:
        assert CJK.search(text)
        assert not ENGLISH_PHRASE.search(text), text  # "duplicate code" and the like stay on English pages
