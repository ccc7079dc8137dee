"""Chinese first, English available: every notification text has its English, compiled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from yongke.notifications.messages import TEMPLATES, render, render_sent
from yongke.notifications.models import Kind

PO = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
ASCII_PARAMS = {"title": "Battery pack", "direction": "1.1", "call": "Spring call", "comment": "add the audit report", "amount": "600,000"}


def test_every_message_of_the_catalogue_has_its_english():
    text = PO.read_text(encoding="utf-8")
    empty = re.findall(r'msgid "(.+)"\nmsgstr ""\n\n', text)
    assert empty == []
    assert text.count("msgid ") > 60


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_reads_in_english(template):
    with translation.override("en"):
        title, body = render(
            template, {**ASCII_PARAMS, "due": "2022-06-30 17:00", "closes_at": "2022-06-30 17:00", "objection_ends_at": "2022-07-05 17:00"}
        )
    assert CJK.findall(title + body) == []
    assert "Battery pack" in title or "Spring call" in title


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_is_sent_in_chinese_whatever_the_active_language(template):
    with translation.override("en"):
        title, body = render_sent(template, ASCII_PARAMS)
    assert CJK.search(title)
    assert CJK.search(body)


def test_a_time_not_set_says_so():
    with translation.override("en"):
        _, body = render("invited", {**ASCII_PARAMS, "due": ""})
    assert body.endswith("Review deadline: Not set")


def test_every_kind_has_an_english_label():
    with translation.override("en"):
        assert [CJK.findall(str(k.label)) for k in Kind] == [[] for _ in Kind]


def test_the_english_inbox_and_settings_pages_show_no_chinese_of_their_own(client, world):
    from yongke.notifications.services import notifications_deliver
    from yongke.notifications.tasks import NOTIFIER

    event = {"template": "funded", "key": "k", "to": {"users": [world.applicant.pk]}, "params": ASCII_PARAMS, "link": "/applications/1/"}
    notifications_deliver(actor=NOTIFIER, events=[event])
    client.force_login(world.applicant)
    for url in ("/notifications/", "/notifications/preferences/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
        assert CJK.findall(main) == [], url
