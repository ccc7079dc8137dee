"""统一社会信用代码 and 身份证 validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yongke.orgs.validators import USCC_ALPHABET, check_id_number, check_uscc, id_with_check, mask_id_number, uscc_with_check


@pytest.mark.parametrize("code", ["91450103MA5L123454", "91110000600037341L", "91350100M000100Y43"])
def test_valid_codes_pass(code):
    assert check_uscc(code).valid


@pytest.mark.parametrize("prefix", ["N1", "Y1", "A1", "51", "52", "93", "G1"])
def test_letter_prefixed_codes_are_valid_when_their_check_character_is(prefix):
    code = uscc_with_check(prefix + "450103MA5L12345")
    verdict = check_uscc(code)
    assert verdict.valid, verdict.reason


@pytest.mark.parametrize(
    "district", ["450102", "450103", "450105", "450107", "450108", "450109", "450110", "450123", "450124", "450125", "450126", "450181"]
)
def test_nanning_district_codes(district):
    assert check_uscc(uscc_with_check(f"91{district}MA5L12X34")).valid


def test_wrong_length_is_named():
    v = check_uscc("91450103MA5L12345")
    assert not v.valid
    assert v.code == "wrong_length"
    assert "18" in v.reason


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V"])
def test_characters_outside_the_set_are_named(bad):
    code = "91450103MA5L1234" + bad + "4"
    v = check_uscc(code)
    assert not v.valid
    assert v.code == "bad_character"
    assert bad in v.reason


def test_wrong_check_character_names_the_right_one():
    good = uscc_with_check("91450103MA5L12345")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    v = check_uscc(wrong)
    assert not v.valid
    assert v.code == "wrong_check_character"
    assert good[17] in v.reason


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17).filter(lambda s: s[2:8].isdigit()))
def test_every_generated_code_validates_and_any_other_check_character_does_not(first17):
    code = uscc_with_check(first17)
    assert check_uscc(code).valid
    for c in USCC_ALPHABET:
        if c != code[17]:
            assert not check_uscc(first17 + c).valid


def test_gb11643_sample_is_valid_and_masked():
    assert check_id_number("11010519491231002X").valid
    assert mask_id_number("11010519491231002X") == "1101**********002X"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "wrong_length"),
        ("110105194912310021", "wrong_check_digit"),
        ("110105194902300023", "bad_birth_date"),
        ("11010521000101002X", "bad_birth_date"),
        ("99010519491231002X", "bad_area_code"),
        ("1101051949123100XX", "bad_character"),
    ],
)
def test_bad_id_numbers_are_refused_with_the_reason(number, code):
    v = check_id_number(number)
    assert not v.valid
    assert v.code == code


def test_nanning_id_numbers_validate():
    assert check_id_number(id_with_check("45010219800101123")).valid
