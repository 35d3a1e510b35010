"""Signed records anyone can check: a Merkle transcript per round, and anchors of the audit chains."""

from django.db import models


class Transcript(models.Model):
    """The signed Merkle root over every bid and status event of a round, up to the end of bidding.

    Leaves in seq order (`transparency.merkle.leaf_bytes`), tree of RFC 9162; the statement signed with
    the platform's Ed25519 key is `transparency.signing.statement(...)`. Append-only: never changed."""

    round = models.OneToOneField("lots.Round", on_delete=models.PROTECT, related_name="transcript")
    leaf_count = models.IntegerField()
    root = models.CharField(max_length=64)
    leaf_hashes = models.JSONField(default=list)  # lets verify_round name the first leaf that differs
    closed_at = models.DateTimeField()
    signed_at = models.DateTimeField()
    signature = models.CharField(max_length=128)  # base64 Ed25519 over the statement
    key_fingerprint = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"transcript of round {self.round_id}: {self.leaf_count} leaves, root {self.root[:12]}…"


class Anchor(models.Model):
    """A signed list of audit chain heads written to object storage under Object Lock (A29: 10 years).

    The copy in object storage is the one that counts (`verify_audit` reads it from there); this row
    only lists it. Each anchor names the chains whose head moved since the previous one."""

    at = models.DateTimeField()
    reason = models.CharField(max_length=40)  # "hourly" or "round:<id>"
    object_key = models.CharField(max_length=200, unique=True)
    root = models.CharField(max_length=64)
    previous_root = models.CharField(max_length=64, blank=True)
    chain_count = models.IntegerField()
    signature = models.CharField(max_length=128)
    key_fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["-at", "-id"]


class AnchoredHead(models.Model):
    """The last anchored head of each audit chain (to know which heads moved since)."""

    chain = models.CharField(max_length=100, primary_key=True)
    position = models.BigIntegerField()
    hash = models.CharField(max_length=64)
