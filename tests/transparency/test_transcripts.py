"""Fairness anyone can check: the signed Merkle transcript of a round, its inclusion proofs, and the
attack a database owner could make (rewrite a bid, recompute every later audit hash) detected."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.transparency.conftest import bid_war, close_by_the_clock, hold, make_lot, make_round

pytestmark = pytest.mark.django_db


def test_the_close_signs_a_transcript_of_every_bid_and_status_event(closed_round, api_client):
    from transparency import merkle, signing

    rnd, regs = closed_round
    assert rnd.status == "sold"
    body = api_client.get(f"/api/v1/rounds/{rnd.pk}/transcript/").json()
    bids = api_client.get(f"/api/v1/rounds/{rnd.pk}/bids/").json()["bids"]
    assert len(bids) == 12
    # The leaves are the public history: 12 bids and the status change that ended bidding.
    leaves = sorted([*body["status_events"], *[merkle.bid_leaf(seq=b["seq"], code=b["code"], amount=b["amount"], at=b["at"],
                                                              priority=b["priority"]) for b in bids]], key=lambda x: x["seq"])
    assert body["leaf_count"] == 13 and [s["status"] for s in body["status_events"]] == ["sold"]
    assert merkle.root_of(leaves) == body["root"]
    # The signature is the platform key's over the statement, checked with the published key alone.
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"]))
    public.verify(base64.b64decode(body["signature"]), merkle.canonical(body["statement"]))
    assert body["statement"]["root"] == body["root"] and body["key_fingerprint"] == signing.fingerprint()
    call_command("verify_round", str(rnd.pk))


def test_no_transcript_while_bidding_goes_on(enforcement_case, bidder_factory, api_client):
    rnd = make_round(make_lot(enforcement_case))
    bid_war(rnd, [hold(rnd, bidder_factory(), "C0001"), hold(rnd, bidder_factory(), "C0002")], 4)
    response = api_client.get(f"/api/v1/rounds/{rnd.pk}/transcript/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_each_bidder_gets_an_inclusion_proof_for_every_one_of_their_bids_of_1000(enforcement_case, bidder_factory, api_client):
    from rest_framework.authtoken.models import Token

    from transparency import merkle

    rnd = make_round(make_lot(enforcement_case))
    regs = [hold(rnd, bidder_factory(), f"D{i:04d}") for i in range(1, 5)]
    bid_war(rnd, regs, 1000, batch=100)
    close_by_the_clock(rnd)  # the clock signs what a receiver missed
    root = api_client.get(f"/api/v1/rounds/{rnd.pk}/transcript/").json()["root"]
    seen = 0
    for reg in regs:
        token = Token.objects.get_or_create(user=reg.bidder)[0].key
        body = api_client.get(f"/api/v1/rounds/{rnd.pk}/transcript/proofs/", HTTP_AUTHORIZATION=f"Token {token}").json()
        assert body["root"] == root and len(body["proofs"]) == 250
        for p in body["proofs"]:
            assert p["leaf"]["code"] == reg.code
            assert merkle.check_inclusion(p["leaf"], root, p["proof"])
            # The same proof does not prove another amount.
            assert not merkle.check_inclusion({**p["leaf"], "amount": p["leaf"]["amount"] + 1}, root, p["proof"])
        seen += len(body["proofs"])
    assert seen == 1000
    assert api_client.get(f"/api/v1/rounds/{rnd.pk}/transcript/proofs/").status_code == 401


def rewrite_a_bid_and_its_audit_chain(rnd, seq: int, new_amount: int) -> None:
    """What a database owner could do: triggers off, one bid changed, its audit record changed, and
    every later hash of the round's chain recomputed so the chain alone looks intact."""
    from auction_site import audit
    from auction_site.models import AuditRecord
    from bidding.models import Bid

    with connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        bid = Bid.objects.get(round=rnd, seq=seq)
        Bid.objects.filter(pk=bid.pk).update(amount=new_amount)
        records = list(AuditRecord.objects.filter(chain=audit.chain_key(rnd)).order_by("position"))
        prev = records[0].prev_hash
        for rec in records:
            if rec.object_type == "bidding.bid" and str(rec.object_id) == str(bid.pk) and "amount" in rec.data:
                rec.data = {**rec.data, "amount": new_amount}
            rec.prev_hash = prev
            rec.hash = audit.expected_hash(rec)
            AuditRecord.objects.filter(pk=rec.pk).update(data=rec.data, prev_hash=rec.prev_hash, hash=rec.hash)
            prev = rec.hash
        cur.execute("SET LOCAL session_replication_role = origin")


def test_a_rewritten_bid_is_caught_by_the_transcript_and_the_anchors_though_the_chain_was_recomputed(closed_round):
    from auction_site.audit import verify_chains

    rnd, _ = closed_round
    call_command("verify_audit")  # intact before
    rewrite_a_bid_and_its_audit_chain(rnd, seq=5, new_amount=999_999_900)
    assert verify_chains() is None  # the chain alone no longer proves anything
    with pytest.raises(CommandError, match=rf"round {rnd.pk}: event seq 5 \(bid\) differs"):
        call_command("verify_round", str(rnd.pk))
    with pytest.raises(CommandError, match=rf"chain lots.round:{rnd.pk}\) differs from the anchored hash"):
        call_command("verify_audit")


def test_the_signing_key_is_read_from_settings(settings, closed_round, api_client):
    from transparency import signing

    seed = bytes(range(32))
    settings.TRANSPARENCY_SIGNING_KEY = base64.b64encode(seed).decode()
    signing.private_key.cache_clear()
    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert base64.b64decode(api_client.get("/api/v1/transparency/key/").json()["public_key"]) == expected


def test_the_embedded_default_generates_a_key_once_and_keeps_it(settings, tmp_path):
    from transparency import signing

    first = signing.public_key_b64()
    signing.private_key.cache_clear()
    assert signing.public_key_b64() == first  # read back from the file, not a new one
    assert len(base64.b64decode((tmp_path / "signing_key.b64").read_text())) == 32


def test_anchors_are_listed_publicly_with_their_signature(closed_round, api_client):
    from transparency import merkle

    body = api_client.get("/api/v1/transparency/anchors/").json()
    assert body["anchors"], "the close anchored the chain heads"
    a = body["anchors"][0]
    statement = {"v": 1, "type": "audit-anchor", "at": a["at"], "root": a["root"], "previous_root": a["previous_root"],
                 "chain_count": a["chain_count"]}
    Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"])).verify(
        base64.b64decode(a["signature"]), merkle.canonical(statement))
    page = api_client.get("/transparency/")
    assert page.status_code == 200 and a["object_key"] in page.content.decode()
    assert json.dumps(a)  # plain JSON for outside checkers


def test_anchors_sit_in_object_storage_under_compliance_retention_for_ten_years(closed_round, settings):
    from botocore.exceptions import ClientError

    from lots.media import s3_client
    from transparency.models import Anchor

    if not settings.MEDIA_USES_S3:
        pytest.fail("the test run provides an S3-protocol server (scripts/test.sh starts one)")
    anchor = Anchor.objects.order_by("-id").first()
    client = s3_client()
    head = client.head_object(Bucket=settings.TRANSPARENCY_ANCHOR_BUCKET, Key=anchor.object_key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert (head["ObjectLockRetainUntilDate"] - anchor.at).days >= 3652
    with pytest.raises(ClientError):  # not even the owner may delete a locked version
        client.delete_object(Bucket=settings.TRANSPARENCY_ANCHOR_BUCKET, Key=anchor.object_key, VersionId=head["VersionId"])


def test_the_confirmation_and_the_public_result_print_the_signed_root(closed_round, api_client):
    import io

    from pypdf import PdfReader

    from lots.media import ensure_bucket
    from settlement import services as settlement
    from transparency.models import Transcript

    ensure_bucket()
    rnd, _ = closed_round
    t = Transcript.objects.get(round=rnd)
    doc = settlement.generate_document(rnd.pk, "confirmation")
    from django.core.files.storage import default_storage

    with default_storage.open(doc.storage_key) as f:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(f.read())).pages).replace("\n", "")
    text = "".join(text.split())  # the PDF wraps the long hash over lines
    assert t.root in text and t.key_fingerprint.replace(" ", "") in text
    page = api_client.get(f"/rounds/{rnd.pk}/result/").content.decode()
    assert t.root in page and f"/rounds/{rnd.pk}/verify/" in page
