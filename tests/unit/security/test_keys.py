"""Key format, hashing and the checks on a new key."""

from __future__ import annotations

import pytest

from seawall.security.keys import check_new_key, hash_key, matches, split_key

KEY = "sw-abcdefghij12-" + "A" * 43


def test_a_well_formed_key_splits_into_its_id() -> None:
    assert split_key(KEY) == "abcdefghij12"
    for bad in (
        "",
        "sk-abc",
        "sw-ABCDEFGHIJ12-" + "A" * 43,
        "sw-abc-" + "A" * 43,
        KEY + "-x",
        KEY[:-20],
    ):
        assert split_key(bad) is None


def test_matches_compares_against_the_stored_hash_only() -> None:
    stored = hash_key(KEY)
    assert matches(KEY, stored)
    assert not matches(KEY[:-1] + "B", stored)
    assert not matches(KEY, None)  # unknown id: compared against a dummy, still refused
    assert len(stored) == 64
    assert KEY not in stored


@pytest.mark.parametrize(
    ("tenant", "role", "models", "field"),
    [
        ("acme", "root", None, "role"),
        ("*", "app", None, "tenant"),
        ("bad tenant!", "app", None, "tenant"),
        ("acme", "app", ["ok", ""], "models"),
    ],
)
def test_bad_new_keys_name_the_field(
    tenant: str, role: str, models: list[str] | None, field: str
) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        check_new_key(tenant, role, models)


def test_good_new_keys_pass() -> None:
    check_new_key("acme", "app", ["support"])
    check_new_key("*", "admin", None)
