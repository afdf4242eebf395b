"""How staff passwords are kept and which ones are refused."""

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from apps.accounts.models import User
from config.settings import base


def test_production_hashes_passwords_with_argon2(settings):
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS

    stored = make_password("a long clinic passphrase")

    assert stored.startswith("argon2$argon2id$")
    assert identify_hasher(stored).algorithm == "argon2"
    assert check_password("a long clinic passphrase", stored)
    assert not check_password("a long clinic passphrasE", stored)


def test_production_validators_are_the_ones_checked(settings):
    settings.AUTH_PASSWORD_VALIDATORS = base.AUTH_PASSWORD_VALIDATORS
    names = [v["NAME"].rsplit(".", 1)[1] for v in base.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("4815162342", "This password is entirely numeric."),
        ("maya.lindqvist", "The password is too similar to the username."),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, message):
    user = User(username="maya.lindqvist", first_name="Maya", last_name="Lindqvist")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert message in refused.value.messages


def test_a_long_uncommon_passphrase_is_accepted():
    user = User(username="maya.lindqvist", first_name="Maya", last_name="Lindqvist")
    assert validate_password("cedar harbor vial lantern", user) is None
