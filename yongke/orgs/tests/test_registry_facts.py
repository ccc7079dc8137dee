"""Which guide facts the registry's own fields answer is the guide's declaration (`registry:`), not code."""

from __future__ import annotations

import copy
import datetime as dt
from typing import get_args

import pytest

from yongke.guide.loader import default_guide_path, parse_guide, read_guide
from yongke.guide.model import RegistryField
from yongke.guide.problems import GuideError
from yongke.orgs import selectors
from yongke.testing import make_org

pytestmark = pytest.mark.django_db

DAY = dt.date(2023, 6, 1)


@pytest.fixture(scope="module")
def bundled():
    raw, text, _ = read_guide(default_guide_path())
    return raw, text


def _edited(bundled, edit):
    raw, text = bundled
    raw = copy.deepcopy(raw)
    edit(raw["facts"])
    return parse_guide(raw, text=text, check_cases=False)


def test_the_guide_and_the_registry_name_the_same_registry_fields():
    assert set(get_args(RegistryField)) == set(selectors.REGISTRY_FIELDS)


def test_the_bundled_guide_declares_its_two_registry_facts(guide):
    assert {n: f.registry for n, f in guide.facts.items() if f.registry} == {
        "registered_in_nanning": "in_city",
        "independent_legal_person": "legal_person",
    }


def test_legal_personality_comes_from_the_registry(guide):
    org = make_org()
    org.legal_person = False
    org.save()
    assert selectors.organisation_facts(org, on=DAY, facts=guide.facts)["independent_legal_person"] is False


def test_only_the_guides_facts_are_returned(guide):
    org = make_org(hte_certified=True, not_a_guide_fact=True)
    facts = selectors.organisation_facts(org, on=DAY, facts=guide.facts)
    assert facts == {"registered_in_nanning": True, "independent_legal_person": True, "hte_certified": True}


def test_a_registry_mapping_renamed_in_the_guide_is_what_the_registry_answers(bundled):
    def rename(facts):
        facts["registered_in_nanning"].pop("registry")
        facts["seated_in_city"] = {"type": "bool", "label": "注册地在本市", "about": "organisation", "registry": "in_city"}

    guide = _edited(bundled, rename)
    inside, outside = make_org(district="450103"), make_org(district="")
    assert selectors.organisation_facts(inside, on=DAY, facts=guide.facts) == {"seated_in_city": True, "independent_legal_person": True}
    assert selectors.organisation_facts(outside, on=DAY, facts=guide.facts)["seated_in_city"] is False


def test_a_dated_attribute_still_overrides_a_registry_field(guide):
    org = make_org(district="", registered_in_nanning=True)
    assert selectors.organisation_facts(org, on=DAY, facts=guide.facts)["registered_in_nanning"] is True


def test_a_registry_field_the_registry_does_not_offer_is_refused_at_its_place(bundled):
    def misspell(facts):
        facts["registered_in_nanning"]["registry"] = "in_town"

    with pytest.raises(GuideError) as e:
        _edited(bundled, misspell)
    problems = e.value.detail["problems"]
    assert problems[0]["path"] == "facts.registered_in_nanning.registry"
    assert "in_city" in problems[0]["problem"]
