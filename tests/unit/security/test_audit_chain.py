"""The audit chain finds the first edited, deleted, inserted or reordered entry."""

from __future__ import annotations

import dataclasses

import pytest

from seawall.security.audit import GENESIS, AuditEntry, chain_hash, verify_entries


def chain(n: int, key: bytes | None = None) -> list[AuditEntry]:
    entries, prev = [], GENESIS
    for seq in range(1, n + 1):
        draft = AuditEntry(
            seq, 1000.0 + seq, "cli:ops", "key.created", "acme", f"k{seq}", {"n": seq}, prev
        )
        entry = dataclasses.replace(draft, hash=chain_hash(prev, draft, key))
        entries.append(entry)
        prev = entry.hash
    return entries


def rehash(entry: AuditEntry, prev: str, key: bytes | None = None) -> AuditEntry:
    moved = dataclasses.replace(entry, prev_hash=prev)
    return dataclasses.replace(moved, hash=chain_hash(prev, moved, key))


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    entries = chain(10)
    result = verify_entries(entries, None)
    assert result.ok
    assert result.checked == 10
    assert (result.head_seq, result.head_hash) == (10, entries[-1].hash)


def test_an_empty_log_verifies() -> None:
    assert verify_entries([], None).ok


@pytest.mark.parametrize("field", ["actor", "action", "tenant", "target"])
def test_an_edited_field_is_named(field: str) -> None:
    entries = chain(6)
    entries[3] = dataclasses.replace(entries[3], **{field: "forged"})
    result = verify_entries(entries, None)
    assert not result.ok
    assert result.bad_seq == 4
    assert "edited" in (result.problem or "")


def test_an_edited_detail_or_time_is_named() -> None:
    for change in ({"detail": {"n": 99}}, {"at": 5.0}):
        entries = chain(6)
        entries[2] = dataclasses.replace(entries[2], **change)
        assert verify_entries(entries, None).bad_seq == 3


def test_a_deleted_entry_is_named() -> None:
    entries = chain(6)
    del entries[2]
    result = verify_entries(entries, None)
    assert result.bad_seq == 4
    assert "entry 3 is missing" in (result.problem or "")
    assert result.head_seq == 2


def test_a_deleted_entry_cannot_be_hidden_by_renumbering() -> None:
    # Delete entry 3 and renumber the rest: the renumbered entry 3 no longer links to entry 2.
    entries = chain(6)
    del entries[2]
    renumbered = entries[:2] + [dataclasses.replace(e, seq=e.seq - 1) for e in entries[2:]]
    result = verify_entries(renumbered, None)
    assert result.bad_seq == 3
    assert not result.ok


def test_an_inserted_entry_is_named() -> None:
    entries = chain(5)
    fake = AuditEntry(3, 1003.5, "attacker", "key.revoked", "acme", "k9", {}, entries[1].hash)
    fake = dataclasses.replace(fake, hash=chain_hash(entries[1].hash, fake, None))
    later = [dataclasses.replace(e, seq=e.seq + 1) for e in entries[2:]]
    result = verify_entries([*entries[:2], fake, *later], None)
    assert result.bad_seq == 4
    assert "does not link" in (result.problem or "")


def test_reordered_entries_are_named() -> None:
    entries = chain(6)
    entries[2], entries[3] = entries[3], entries[2]
    result = verify_entries(entries, None)
    assert result.bad_seq == 4
    assert not result.ok


def test_a_keyed_chain_cannot_be_recomputed_without_the_key() -> None:
    key = b"k" * 32
    entries = chain(4, key)
    assert verify_entries(entries, key).ok
    assert not verify_entries(entries, None).ok  # a plain SHA-256 chain is a different chain
    # An attacker without the key edits entry 2 and recomputes every later plain hash:
    forged = [entries[0]]
    edited = dataclasses.replace(entries[1], actor="attacker")
    for entry in [edited, *entries[2:]]:
        forged.append(rehash(entry, forged[-1].hash))
    assert verify_entries(forged, key).bad_seq == 2
