"""Chinese first, English available: the shipped catalogue is complete and compiled."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries() -> list[tuple[str | None, str, str]]:
    """(msgctxt, msgid, msgstr) of every singular entry of the .po file."""
    text = PO.read_text(encoding="utf-8")
    out = []
    for block in text.split("\n\n")[1:]:
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        if any(line.startswith("msgid_plural") for line in lines):
            continue
        ctx = next((line[len('msgctxt "') : -1] for line in lines if line.startswith("msgctxt")), None)
        lines = [line for line in lines if not line.startswith("msgctxt")]
        joined = "\n".join(lines)
        msgid = "".join(re.findall(r'"(.*)"', joined.split("msgstr")[0]))
        msgstr = "".join(re.findall(r'"(.*)"', joined.split("msgstr", 1)[1]))
        out.append((ctx, msgid.replace('\\"', '"'), msgstr.replace('\\"', '"')))
    return out


def test_every_message_has_an_english_translation():
    entries = _entries()
    assert len(entries) > 250
    assert [msgid for _ctx, msgid, msgstr in entries if not msgstr] == []


def test_the_compiled_catalogue_matches_the_po_file():
    with translation.override("en"):
        stale = [
            msgid
            for ctx, msgid, msgstr in _entries()
            if (translation.pgettext(ctx, msgid) if ctx else translation.gettext(msgid)) != msgstr
        ]
    assert stale == [], "run: msgfmt -o yongke/locale/en/LC_MESSAGES/django.mo yongke/locale/en/LC_MESSAGES/django.po"


def test_chinese_is_the_default(client, db):
    body = client.get("/publicity/").content.decode()
    assert '<html lang="zh-Hans">' in body
    assert "登录" in body


def test_an_english_browser_gets_english_chrome(client, db):
    body = client.get("/publicity/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in body
    assert "Sign in" in body
    assert "Publicity" in body


def test_workflow_buttons_and_states_are_translated():
    from yongke.applications.workflow import PRE

    with translation.override("en"):
        assert str(PRE.transition("publish").label) == "Publish"
        assert str(PRE.state_label("published")) == "In publicity"
        assert translation.gettext("公示") == "Publicity"  # the menu entry keeps its own word
    with translation.override("zh-hans"):
        assert str(PRE.state_label("published")) == "公示中"  # Chinese is the source


def test_an_english_page_shows_english_states_and_steps(client, world):
    from yongke.portal.tests.conftest import an_application

    app = an_application(world, "recommended")
    client.force_login(world.officer)
    body = client.get(f"/applications/{app.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Recommended, to formal review" in body
    assert "Accepted in formal review" in body  # the step's button
