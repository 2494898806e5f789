"""Every tree size up to 256, every index and every pair of sizes, against the RFC's recursion."""

from __future__ import annotations

from services.evidence.domain.merkle import leaf_hash, verify_consistency, verify_inclusion
from services.evidence.domain.tree import MemoryTree
from tests.evidence.unit.reference_merkle import Reference

MAX = 256
DATA = [i.to_bytes(2, "big") for i in range(MAX)]
RFC = Reference(DATA)
TREE = MemoryTree(leaf_hash(d) for d in DATA)
ROOTS = [b""] + [TREE.root_at(n) for n in range(1, MAX + 1)]


def flip(hashes: list[bytes], i: int) -> list[bytes]:
    out = list(hashes)
    out[i] = bytes([out[i][0] ^ 1]) + out[i][1:]
    return out


def inclusion_corruptions(m: int, n: int, p: list[bytes]) -> list[tuple[int, int, list[bytes]]]:
    """Probes against the authenticated (n, root of n): index ±1, doubled or halved size,
    extended or truncated path, each element with a flipped bit. Size n ± 1 is the pitfall
    tested below: only the signature over (size, root) refuses it."""
    bad = [(m + 1, n, p), (m, 2 * n, p), (m, n, [*p, ROOTS[n]]), (m, n, [ROOTS[n], *p])]
    if m > 0:
        bad.append((m - 1, n, p))
    if n // 2 < n - 1:
        bad.append((m, n // 2, p))
    if p:
        bad += [(m, n, p[:-1]), (m, n, p[1:])] + [(m, n, flip(p, i)) for i in range(len(p))]
    return bad


def test_roots_match_the_recursive_definition() -> None:
    for n in range(1, MAX + 1):
        assert ROOTS[n] == RFC.mth(0, n), n


def test_every_inclusion_proof_verifies_and_no_corruption_does() -> None:
    for n in range(1, MAX + 1):
        for m in range(n):
            p = TREE.inclusion_proof(m, n)
            assert p == RFC.path(m, 0, n), (m, n)
            lh = leaf_hash(DATA[m])
            assert verify_inclusion(m, n, lh, p, ROOTS[n])
            assert not verify_inclusion(m, n, leaf_hash(b"other"), p, ROOTS[n])
            for bad_m, bad_n, bad_p in inclusion_corruptions(m, n, p):
                assert not verify_inclusion(bad_m, bad_n, lh, bad_p, ROOTS[n]), (m, n, bad_m, bad_n)


def test_size_n_plus_1_with_the_root_of_n_is_why_the_size_must_be_signed() -> None:
    # RFC 6962 alone accepts some of these (the reference notes count 2,218 for n <= 70): a proof
    # for (m, n) also "proves" (m, n + 1) against the same root. Only a checkpoint that signs
    # (size, root) together refuses them; tests/evidence/unit/test_receipts.py shows it does.
    passes = sum(
        verify_inclusion(m, n + 1, leaf_hash(DATA[m]), TREE.inclusion_proof(m, n), ROOTS[n])
        for n in range(1, 71)
        for m in range(n)
    )
    assert passes == 2218
    for n in range(1, MAX):
        for m in range(n):
            p = TREE.inclusion_proof(m, n)
            assert not verify_inclusion(m, n + 1, leaf_hash(DATA[m]), p, ROOTS[n + 1])


def test_every_consistency_proof_verifies_and_no_corruption_does() -> None:
    for n in range(1, MAX + 1):
        for m in range(1, n + 1):
            p = TREE.consistency_proof(m, n)
            assert p == RFC.proof(m, n), (m, n)
            assert verify_consistency(m, n, ROOTS[m], ROOTS[n], p)
            if m == n:
                continue
            assert not verify_consistency(m, n, ROOTS[n], ROOTS[m], p)
            assert not verify_consistency(m, n, ROOTS[m], ROOTS[n], p[:-1])
            assert not verify_consistency(m, n, ROOTS[m], ROOTS[n], [*p, p[-1]])
            for i in range(len(p)):
                assert not verify_consistency(m, n, ROOTS[m], ROOTS[n], flip(p, i))
            if m > 1:
                assert not verify_consistency(m - 1, n, ROOTS[m], ROOTS[n], p)
            if m + 1 < n:
                assert not verify_consistency(m + 1, n, ROOTS[m], ROOTS[n], p)
