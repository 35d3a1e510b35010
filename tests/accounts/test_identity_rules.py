import pytest

from accounts.rules import identity_kind, is_valid_resident_id, is_valid_uscc


@pytest.mark.parametrize("value", ["11010519491231002X", "110101199003070134", "11010519491231002x"])
def test_valid_resident_ids(value):
    assert is_valid_resident_id(value)


@pytest.mark.parametrize("value", [
    "110105194912310021",  # wrong check character
    "11010519491331002X",  # month 13
    "1101051949123100",  # too short
    "A1010519491231002X",
])
def test_invalid_resident_ids(value):
    assert not is_valid_resident_id(value)


def test_unified_social_credit_code_checksum():
    assert is_valid_uscc("91350100M000100Y43")
    assert not is_valid_uscc("91350100M000100Y44")
    assert not is_valid_uscc("91350100M0001O0Y43")  # letter O is not in the GB 32100 alphabet


def test_identity_kind():
    assert identity_kind("110101199003070134") == "resident_id"
    assert identity_kind("91350100M000100Y43") == "uscc"
    assert identity_kind("123") is None
