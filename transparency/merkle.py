"""Leaves and trees of the round transcripts (RFC 9162 hashing, through pymerkle).

A leaf is the canonical JSON of one event (keys sorted, no spaces, ASCII): for a bid
`{"amount","at","code","kind":"bid","priority","seq"}`, for a status change `{"at","kind":"status",
"seq","status"}`. The same bytes are rebuilt by the browser verifier (static/js/verify_round.js) from
the public bid history, so the encoding is part of the public contract."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pymerkle import InmemoryTree, verify_inclusion
from pymerkle.proof import InclusionProof


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def bid_leaf(*, seq: int, code: str, amount: int, at: str, priority: bool) -> dict:
    return {"kind": "bid", "seq": seq, "code": code, "amount": amount, "at": at, "priority": bool(priority)}


def status_leaf(*, seq: int, status: str, at: str) -> dict:
    return {"kind": "status", "seq": seq, "status": status, "at": at}


def leaf_hash(leaf: dict) -> str:
    return hashlib.sha256(b"\x00" + canonical(leaf)).hexdigest()


def tree(leaves: list[dict]) -> InmemoryTree:
    t = InmemoryTree(algorithm="sha256")
    for leaf in leaves:
        t.append_entry(canonical(leaf))
    return t


def root_of(leaves: list[dict]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()  # RFC 9162: the hash of an empty tree
    return tree(leaves).get_root(len(leaves)).hex()


def inclusion_proof(t: InmemoryTree, index: int) -> dict:
    """The audit path of leaf `index` (1-based) in the tree of its size, serialized."""
    return t.prove_inclusion(index, t.get_size()).serialize()


def check_inclusion(leaf: dict, root: str, proof: dict) -> bool:
    try:
        verify_inclusion(hashlib.sha256(b"\x00" + canonical(leaf)).digest(), bytes.fromhex(root),
                         InclusionProof.deserialize(proof))
    except Exception:  # pymerkle raises InvalidProof (or a decoding error for a malformed proof)
        return False
    return True
