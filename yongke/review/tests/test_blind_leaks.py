"""Blind review holds: nothing an expert can request names the applicant; the expert reads the
application only once they have declared no conflict, and only while the round is open. Full ID
numbers only for who needs them, each read audited."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from yongke.accounts.services import token_create
from yongke.applications import services as apps
from yongke.applications.models import TeamMember
from yongke.applications.selectors import applications_filtered, applications_visible_to
from yongke.audit.models import AuditEvent
from yongke.orgs import selectors as org_selectors
from yongke.review import blind, selectors, services
from yongke.review.models import ReviewAssignment
from yongke.testing import PDF_BYTES, TEST, make_application, make_call, make_guide, make_org, make_person, make_user

pytestmark = pytest.mark.django_db

ORG_NAME = "南宁市鸿鹄奇点量子科技有限公司"
SHORT = "鸿鹄奇点量子"
LEADER = "欧阳镜澜"
MEMBER = "司马砚秋"
PHONE = "13977712345"
DISTRICT = "450107"  # 西乡塘区
DISTRICT_NAME = "西乡塘区"


@pytest.fixture
def blind_round():
    """A blind call with one application whose organisation's name, USCC, people's names and
    district are distinctive, written into the title, the summary, a fact, a budget basis, a
    timeline comment and an attachment's file name; one expert assigned who has accepted."""
    make_guide()
    officer = make_user("officer", programme="1")
    call = make_call(experts_per_application=1, blind_review=True, budgets={"1.1": 5_000_000})
    org = make_org(name=ORG_NAME, district=DISTRICT)
    applicant = make_user("applicant", organisation=org)
    org_admin = make_user("org_admin", organisation=org)
    leader = make_person(org, name=LEADER)
    leader.phone = PHONE
    leader.save(update_fields=["phone"])
    app = make_application(
        call=call,
        org=org,
        user=applicant,
        leader=leader,
        title=f"{SHORT}高通量光子芯片研发",
        summary=f"{ORG_NAME}（{org.uscc}）由{LEADER}牵头，{MEMBER}参与，联系电话 {PHONE}。",
    )
    member = make_person(org, name=MEMBER)
    TeamMember.objects.create(application=app, person=member, role=f"{MEMBER}负责测试", months=6)
    app.budget_lines.update(basis=f"{SHORT}自有设备")
    att = apps.attachment_add(
        actor=applicant, application=app, kind="other", filename=f"{SHORT}_{LEADER}_可研报告.pdf", content=PDF_BYTES + b"x"
    )
    rec = make_user("recommender", unit=DISTRICT)
    for actor, action, comment in (
        (applicant, "submit", ""),
        (rec, "recommend", f"推荐{ORG_NAME}，负责人{LEADER}"),
        (officer, "accept", f"{SHORT}材料齐全"),
        (officer, "start_review", ""),
    ):
        app, _ = apps.application_transition(actor=actor, application=app, action=action, comment=comment)
    user = make_user("expert")
    expert = services.expert_add(
        actor=TEST, person=make_person(make_org(district="450103"), user=user), fields=["C3976"], keywords=["光子芯片"], user=user
    )
    rnd = services.review_round_run(actor=officer, call=call, max_load=3, forced=[(app.pk, expert.pk)], affinity_floor=-1.0)
    task = ReviewAssignment.objects.get(round=rnd, expert=expert)
    secrets = [ORG_NAME, SHORT, org.uscc, LEADER, MEMBER, PHONE, DISTRICT, DISTRICT_NAME, att.filename]  # district: 2nd and 3rd last
    return {
        "officer": officer,
        "call": call,
        "org": org,
        "org_admin": org_admin,
        "applicant": applicant,
        "leader": leader,
        "member": member,
        "app": app,
        "att": att,
        "user": user,
        "expert": expert,
        "round": rnd,
        "task": task,
        "secrets": secrets,
    }


def _accept(w) -> None:
    services.invitation_respond(actor=w["user"], assignment=w["task"], accept=True, statement="本人与该申报不存在利益冲突。")


# --------------------------------------------------------------------------- every route


def _routes(patterns=None, prefix: str = ""):
    """Every route of the site as (route string, name), nested includes flattened."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name


def _concrete(route: str, w) -> str | None:
    """The route with its parameters filled with the blind round's objects (None: a regex route)."""
    if route.startswith("^"):
        return None
    app, task = w["app"], w["task"]
    values = {
        "task_id": task.pk,
        "n": 1,
        "app_id": app.pk,
        "application_id": app.pk,
        "attachment_id": w["att"].pk,
        "round_id": w["round"].pk,
        "person_id": w["leader"].pk,
        "org_id": w["org"].pk,
        "organisation_id": w["org"].pk,
        "call_id": w["call"].pk,
        "expert_id": w["expert"].pk,
        "direction": app.direction,
    }

    def fill(m: re.Match) -> str:
        name = m.group(2)
        if name == "pk":
            return str(task.pk if "expert/" in route else app.pk)
        return str(values.get(name, app.pk if m.group(1) == "int" else "x"))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def _leaks(response, secrets: list[str]) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace") + "\n" + "\n".join(f"{k}: {unquote(v)}" for k, v in response.headers.items())
    return [s for s in secrets if s.lower() in text.lower()]


def test_nothing_an_expert_can_request_names_the_applicant(blind_round):
    w = blind_round
    _accept(w)
    client = Client(raise_request_exception=False)
    client.force_login(w["user"])
    token = token_create(actor=w["user"], user=w["user"], name="leak test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    requested, leaks = [], {}
    for route, name in _routes():
        url = _concrete(route, w)
        if url is None or name in ("logout", "sign_out"):
            continue
        for query in ("", f"?organisation={w['org'].pk}", f"?district={DISTRICT}", f"?q={SHORT}"):
            if query and requested[-1][1] != 200:
                break  # a filter narrows what a page shows: it cannot open a page refused or not found
            r = client.get(url + query, **auth)
            requested.append((url + query, r.status_code))
            # What the request itself sends may be echoed (a search box, a link's query): not a leak.
            # The district is checked on the expert's own pages: public forms list every district.
            secrets = w["secrets"] if url.startswith(("/expert/", "/api/v1/me/")) else w["secrets"][:-3] + w["secrets"][-1:]
            found = _leaks(r, [x for x in secrets if x not in unquote(query)])
            if found:
                leaks[url + query] = (r.status_code, found)
    assert leaks == {}
    # The expert's own pages and operations were reached, not refused.
    reached = dict(requested)
    assert reached[f"/expert/tasks/{w['task'].pk}/"] == 200
    assert reached[f"/expert/tasks/{w['task'].pk}/attachments/1/"] == 200
    assert reached[f"/api/v1/me/reviews/{w['task'].pk}"] == 200
    assert reached[f"/api/v1/me/reviews/{w['task'].pk}/attachments/1"] == 200
    # Submitting a score with errors shows the task page again: no leak there either.
    r = client.post(f"/expert/tasks/{w['task'].pk}/score/", {"comment": ""})
    assert r.status_code == 400
    assert not _leaks(r, w["secrets"])


def test_the_expert_reads_the_projected_application(blind_round):
    w = blind_round
    _accept(w)
    view = blind.project(w["app"], blind=True)
    assert view["organisation"] is None
    assert view["title"] == "[申报单位]高通量光子芯片研发"
    assert f"{blind.ORG}（{blind.ORG}）由{blind.MEMBER}牵头" in view["summary"]
    assert view["attachments"][-1]["name"].startswith("附件：")
    assert view["attachments"][-1]["name"].endswith(".pdf")
    client = Client()
    client.force_login(w["user"])
    r = client.get(f"/expert/tasks/{w['task'].pk}/attachments/{len(view['attachments'])}/")
    assert r.status_code == 200
    assert "filename*=utf-8''%E9%99%84%E4%BB%B6" in r.headers["Content-Disposition"]  # "附件…"
    assert b"".join(r.streaming_content) == PDF_BYTES + b"x"


def test_a_blind_application_is_not_reachable_through_its_own_pages_or_filters(blind_round):
    w = blind_round
    _accept(w)
    assert not applications_visible_to(w["user"]).filter(pk=w["app"].pk).exists()
    assert not applications_filtered(w["user"], organisation=w["org"].pk).exists()
    assert not applications_filtered(w["user"], district=DISTRICT).exists()
    client = Client()
    client.force_login(w["user"])
    assert client.get(f"/applications/{w['app'].pk}/").status_code == 404
    assert client.get(f"/applications/{w['app'].pk}/attachments/{w['att'].pk}/").status_code == 404


def test_before_accepting_the_expert_sees_the_title_direction_and_questions_only(blind_round):
    w = blind_round
    client = Client()
    client.force_login(w["user"])
    page = client.get(f"/expert/tasks/{w['task'].pk}/").content.decode()
    assert "高通量光子芯片研发" in page
    assert str(blind.CONFLICT_QUESTIONS[0]) in page
    assert "联系电话" not in page
    assert "附件：" not in page
    assert client.get(f"/expert/tasks/{w['task'].pk}/attachments/1/").status_code == 404
    token = token_create(actor=w["user"], user=w["user"], name="t")
    r = Client().get(f"/api/v1/me/reviews/{w['task'].pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert r["readable"] is False
    assert r["content"] is None
    assert r["conflict_questions"]
    assert selectors.application_ids_assigned_to(w["user"]) == []


def test_accepting_requires_the_no_conflict_statement(blind_round):
    from yongke.core.errors import BadInput

    w = blind_round
    with pytest.raises(BadInput):
        services.invitation_respond(actor=w["user"], assignment=w["task"], accept=True, statement=" ")
    w["task"].refresh_from_db()
    assert w["task"].state == "invited"


def test_closing_the_round_ends_the_experts_access(blind_round):
    w = blind_round
    _accept(w)
    assert selectors.application_ids_assigned_to(w["user"]) == [w["app"].pk]
    services.review_round_close(actor=w["officer"], round=w["round"])
    assert selectors.application_ids_assigned_to(w["user"]) == []
    client = Client()
    client.force_login(w["user"])
    page = client.get(f"/expert/tasks/{w['task'].pk}/").content.decode()
    assert "联系电话" not in page
    assert "附件：" not in page
    assert client.get(f"/expert/tasks/{w['task'].pk}/attachments/1/").status_code == 404
    token = token_create(actor=w["user"], user=w["user"], name="t")
    assert Client().get(f"/api/v1/me/reviews/{w['task'].pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()["content"] is None


def test_a_non_blind_application_closes_to_its_expert_with_the_round(blind_round):
    w = blind_round
    w["call"].blind_review = False
    w["call"].save(update_fields=["blind_review"])
    assert not applications_visible_to(w["user"]).filter(pk=w["app"].pk).exists()  # not accepted yet
    _accept(w)
    assert applications_visible_to(w["user"]).filter(pk=w["app"].pk).exists()
    services.review_round_close(actor=w["officer"], round=w["round"])
    assert not applications_visible_to(w["user"]).filter(pk=w["app"].pk).exists()


def test_another_experts_task_is_not_found(blind_round):
    w = blind_round
    other = make_user("expert")
    client = Client()
    client.force_login(other)
    assert client.get(f"/expert/tasks/{w['task'].pk}/").status_code == 404
    token = token_create(actor=other, user=other, name="t")
    assert Client().get(f"/api/v1/me/reviews/{w['task'].pk}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404


# --------------------------------------------------------------------------- full ID numbers


def _full(person) -> str:
    from yongke.core import crypto

    return crypto.decrypt(person.id_number_encrypted)


@pytest.mark.parametrize("who", ["org_admin", "officer"])
def test_the_organisations_admin_and_the_programmes_officer_read_the_full_id_number_audited(blind_round, who):
    w = blind_round
    before = AuditEvent.objects.filter(action="pii_read").count()
    assert org_selectors.person_id_number_for(w["member"], w[who]) == _full(w["member"])
    event = AuditEvent.objects.filter(action="pii_read").order_by("-id").first()
    assert AuditEvent.objects.filter(action="pii_read").count() == before + 1
    assert event is not None
    assert event.target_type == "person"
    assert event.target_id == str(w["member"].pk)


@pytest.mark.parametrize("who", ["other_officer", "expert", "applicant", "sysadmin", "auditor"])
def test_everyone_else_sees_the_id_number_masked_and_nothing_is_audited(blind_round, who):
    w = blind_round
    viewer = {
        "other_officer": lambda: make_user("officer", programme="2"),
        "expert": lambda: w["user"],
        "applicant": lambda: w["applicant"],
        "sysadmin": lambda: make_user("sysadmin"),
        "auditor": lambda: make_user("auditor"),
    }[who]()
    before = AuditEvent.objects.filter(action="pii_read").count()
    shown = org_selectors.person_id_number_for(w["leader"], viewer)
    assert shown == w["leader"].id_number_masked
    assert "*" in shown
    assert AuditEvent.objects.filter(action="pii_read").count() == before


def test_the_people_api_masks_for_an_officer_of_another_programme(blind_round):
    w = blind_round
    officer = make_user("officer", programme="2")
    token = token_create(actor=officer, user=officer, name="t")
    r = Client().get(f"/api/v1/people/{w['leader'].pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
    assert r.json()["id_number"] == w["leader"].id_number_masked
    assert r.json()["id_number_masked"] is True
