"""Directions in their numeric order everywhere: 1.1, 1.2, 2.1 … 10.1, 14.1 — never as text
(1.1, 10.1, 14.1, 2.1). The shared key (yongke.core.directions) in Python and in the database,
and the pages and the API that list directions."""

from __future__ import annotations

import random
import re

from yongke.applications.models import Application
from yongke.applications.stats import publicity_list, totals_by
from yongke.core.directions import direction_key, direction_order, sort_directions
from yongke.testing import make_application, make_call, make_user

NUMERIC = ["1.1", "1.2", "2.1", "2.2", "9.1", "10.1", "14.1", "24.1"]
AS_TEXT = sorted(NUMERIC)  # 1.1, 1.2, 10.1, 14.1, 2.1, …: what the bug looked like


def test_the_key_sorts_direction_codes_as_numbers():
    shuffled = NUMERIC[:]
    random.Random(7).shuffle(shuffled)
    assert sort_directions(shuffled) == NUMERIC
    assert AS_TEXT != NUMERIC  # the test would catch a text sort
    assert sorted(["2", "10", "1"], key=direction_key) == ["1", "2", "10"]  # programmes and projects too
    assert sort_directions(["x.1", "2.1", "1.10", "1.9"]) == ["1.9", "1.10", "2.1", "x.1"]  # a stray code goes last, never fails


def test_the_database_orders_by_the_same_key(world):
    call = make_call()  # every direction of the guide
    for code in reversed(NUMERIC):
        make_application(call=call, org=world.org, direction=code, title=f"方向{code}")
    ordered = list(Application.objects.filter(call=call).order_by(*direction_order(), "id").values_list("direction", flat=True))
    assert ordered == NUMERIC


def test_the_publicity_list_is_in_direction_order(world):
    call = make_call()
    for code in ("14.1", "2.1", "1.1"):
        make_application(call=call, org=world.org, direction=code, title=f"公示{code}")
    Application.objects.filter(call=call).update(state="published")
    assert [a.direction for a in publicity_list(call_id=call.pk)] == ["1.1", "2.1", "14.1"]


def test_the_calls_page_lists_directions_numerically_with_links_to_their_pages(client, world):
    call = make_call(directions=AS_TEXT)  # stored in text order, as the demo once did
    client.force_login(world.applicant)
    html = client.get("/calls/").content.decode()
    section = html.split(f'id="call-{call.pk}"', 1)[1].split("</section>", 1)[0]
    shown = re.findall(r"<td><a href=\"[^\"]+/directions/([\d.]+)/\">", section)
    assert shown == NUMERIC
    version = call.guide_version
    assert f'href="/guide/{version.label}/r{version.revision}/directions/14.1/"' in section
    assert client.get(f"/guide/{version.label}/r{version.revision}/directions/14.1/").status_code == 200


def test_the_api_lists_a_calls_directions_numerically(client, world):
    call = make_call(directions=AS_TEXT)
    body = client.get(f"/api/v1/calls/{call.pk}").json()
    assert body["directions"] == NUMERIC


def test_the_dashboard_totals_list_directions_numerically(world):
    call = make_call()
    for code in ("24.1", "1.1", "14.1", "2.1"):
        app = make_application(call=call, org=world.org, direction=code, title=f"统计{code}")
        Application.objects.filter(pk=app.pk).update(state="submitted")
    keys = [r["key"] for r in totals_by(make_user("officer", programme="*"), "direction")]
    assert keys == sort_directions(keys)
    assert keys.index("2.1") < keys.index("14.1")


def test_the_officers_assignment_screen_offers_directions_numerically(client, world):
    call = make_call(directions=AS_TEXT)
    client.force_login(world.officer)
    html = client.get(f"/officer/assignment/?call={call.pk}").content.decode()
    assert re.findall(r'name="directions" value="([\d.]+)"', html) == NUMERIC


def test_the_post_subsidy_screen_offers_directions_numerically(client, world):
    every = list(make_call().directions)  # every direction of the guide
    random.Random(3).shuffle(every)
    call = make_call(directions=every)  # stored in no particular order: the screen sorts
    client.force_login(world.officer)
    html = client.get(f"/awards/claims/?call={call.pk}").content.decode()
    picker = html.split('id="pick-direction"', 1)[1].split("</select>", 1)[0]
    codes = re.findall(r'<option value="([\d.]+)"', picker)
    assert len(codes) > 3
    assert codes == sort_directions(codes)
