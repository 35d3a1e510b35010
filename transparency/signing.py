"""The platform's Ed25519 signing key (the `cryptography` package).

The key comes from the setting TRANSPARENCY_SIGNING_KEY (the 32-byte private seed, base64). Outside
production, with none set, one is generated on first use into TRANSPARENCY_KEY_FILE and kept, so every
process of a demo signs with the same key. The public key and its fingerprint are published on the
result and verifier pages: anyone can check a signature without trusting the operator."""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from transparency.merkle import canonical


def _seed_from_file(path: Path) -> bytes:
    try:
        return base64.b64decode(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = os.urandom(32)
    try:
        # O_EXCL: two processes starting at once keep the first one's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.b64decode(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(seed).decode())
    return seed


@lru_cache(maxsize=1)
def private_key() -> Ed25519PrivateKey:
    configured = getattr(settings, "TRANSPARENCY_SIGNING_KEY", "")
    if configured:
        seed = base64.b64decode(configured)
    elif settings.AUCTION_MODE == "production":
        raise ImproperlyConfigured("TRANSPARENCY_SIGNING_KEY is required in production")
    else:
        seed = _seed_from_file(Path(settings.TRANSPARENCY_KEY_FILE))
    if len(seed) != 32:
        raise ImproperlyConfigured("TRANSPARENCY_SIGNING_KEY must be a base64 32-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes() -> bytes:
    return private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_b64() -> str:
    return base64.b64encode(public_key_bytes()).decode()


def fingerprint(public: bytes | None = None) -> str:
    """SHA-256 of the raw public key, hex, in groups of four: what a person compares by eye."""
    digest = hashlib.sha256(public if public is not None else public_key_bytes()).hexdigest()[:32]
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def sign(statement: dict) -> str:
    return base64.b64encode(private_key().sign(canonical(statement))).decode()


def verify(statement: dict, signature: str, public: bytes | None = None) -> bool:
    key = Ed25519PublicKey.from_public_bytes(public if public is not None else public_key_bytes())
    try:
        key.verify(base64.b64decode(signature), canonical(statement))
    except (InvalidSignature, ValueError):
        return False
    return True


def round_statement(*, round_id: int, leaf_count: int, root: str, closed_at: str) -> dict:
    """What a transcript's signature covers (the verifier page rebuilds the same bytes)."""
    return {"v": 1, "type": "round-transcript", "round": round_id, "leaf_count": leaf_count, "root": root,
            "closed_at": closed_at}


def anchor_statement(*, at: str, root: str, previous_root: str, chain_count: int) -> dict:
    return {"v": 1, "type": "audit-anchor", "at": at, "root": root, "previous_root": previous_root,
            "chain_count": chain_count}
