"""The password forms take their minimum length from the settings' validators (one source):
the field's `minlength`, its hint and its error all say the validators' number."""

from __future__ import annotations

from yongke.portal.forms import MemberForm, RegistrationForm


def test_the_registration_page_asks_for_the_validators_ten_characters(client, db):
    body = client.get("/register/").content.decode()
    assert 'minlength="10"' in body
    assert "至少 10 个字符" in body
    assert 'minlength="8"' not in body


def test_both_password_forms_follow_the_validators_length():
    for form, name in ((RegistrationForm(), "password1"), (MemberForm(), "password")):
        field = form.fields[name]
        assert field.min_length == 10
        assert field.widget.attrs["minlength"] == "10"
        assert "至少 10 个字符" in str(field.help_text)


def test_a_changed_validator_changes_the_forms(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 14}}
    ]
    field = MemberForm().fields["password"]
    assert field.min_length == 14
    assert "至少 14 个字符" in str(field.help_text)


def test_a_nine_character_password_is_refused_by_the_form_with_the_number(db):
    form = MemberForm(data={"username": "m-nine", "full_name": "成员", "password": "Xq7-pLm2z"})
    assert not form.is_valid()
    assert "密码至少需要 10 个字符（现在是 9 个）" in form.errors["password"]
