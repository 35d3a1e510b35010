"""Media uploads: presigned POST to the real S3-protocol server (moto, started by scripts/test.sh), local storage,
server-side checks before issuing and after upload, and signed URLs only where the viewer may see them."""

import pytest
import requests
from django.conf import settings
from django.test import override_settings

from lots import media as media_storage
from lots.models import Media
from tests.lots.conftest import JPEG, PDF

pytestmark = pytest.mark.django_db

JPEG_SIZE = len(JPEG)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def ask(client, lot, *, kind="photo", content_type="image/jpeg", size=JPEG_SIZE, filename="front.jpg"):
    return client.post(f"/api/v1/lots/{lot.pk}/media/", {"kind": kind, "filename": filename, "content_type": content_type, "size": size,
                                                        "title": "外观照片"}, format="json")


def s3_upload(upload: dict, body: bytes, content_type: str) -> requests.Response:
    assert upload["method"] == "POST"
    # A client can put any Content-Type in the form (moto does not check the policy); the server must notice.
    fields = {**upload["fields"], "Content-Type": content_type}
    return requests.post(upload["url"], data=fields, files={"file": ("upload", body, content_type)}, timeout=10)


needs_s3 = pytest.mark.skipif(not settings.MEDIA_USES_S3, reason="scripts/test.sh starts the S3-protocol server (moto)")


@needs_s3
def test_presigned_upload_round_trip(judge_client, api_client, lot, announced_round_for):
    resp = ask(judge_client, lot)
    assert resp.status_code == 201, resp.content
    media_id, upload = resp.json()["media"]["id"], resp.json()["upload"]
    assert resp.json()["media"]["status"] == "pending" and upload["url"].startswith(settings.AWS_S3_ENDPOINT_URL)
    assert upload["fields"]["Content-Type"] == "image/jpeg" and "policy" in upload["fields"]
    assert s3_upload(upload, JPEG, "image/jpeg").status_code in (200, 201, 204)
    done = judge_client.post(f"/api/v1/media/{media_id}/complete/", format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "ready"
    url = done.json()["url"]
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and fetched.content == JPEG
    # Before publication only the court's judge sees the lot's media; afterwards everyone does.
    assert api_client.get(f"/api/v1/lots/{lot.pk}/media/").status_code == 404
    announced_round_for(lot)
    public = api_client.get(f"/api/v1/lots/{lot.pk}/media/").json()
    assert media_id in [m["id"] for m in public]
    assert requests.get(next(m["url"] for m in public if m["id"] == media_id), timeout=10).content == JPEG


@needs_s3
@pytest.mark.parametrize(("declared_type", "declared_size", "body", "sent_type"), [
    ("image/png", len(JPEG), JPEG, "image/png"),  # content is not PNG
    ("image/jpeg", len(JPEG), JPEG, "application/pdf"),  # stored with another type
    ("image/jpeg", len(JPEG) - 10, JPEG, "image/jpeg"),  # bigger than declared (moto ignores the policy)
])
def test_mismatching_upload_is_rejected_and_deleted(judge_client, lot, declared_type, declared_size, body, sent_type):
    resp = ask(judge_client, lot, content_type=declared_type, size=declared_size)
    assert resp.status_code == 201
    media_id = resp.json()["media"]["id"]
    s3_upload(resp.json()["upload"], body, sent_type)
    done = judge_client.post(f"/api/v1/media/{media_id}/complete/", format="json")
    assert done.status_code == 400 and done.json()["error"]["code"] == "upload_rejected"
    item = Media.objects.get(pk=media_id)
    assert item.status == "rejected"
    assert media_storage.inspect(item) is None  # the object is gone


@needs_s3
def test_complete_before_upload_is_a_conflict(judge_client, lot):
    media_id = ask(judge_client, lot).json()["media"]["id"]
    resp = judge_client.post(f"/api/v1/media/{media_id}/complete/", format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_uploaded"
    assert Media.objects.get(pk=media_id).status == "pending"


@pytest.mark.parametrize(("kind", "content_type", "size", "status", "code"), [
    ("photo", "image/jpeg", settings.MEDIA_MAX_BYTES["photo"] + 1, 413, "too_large"),
    ("photo", "application/pdf", 100, 400, "unsupported_type"),
    ("panorama", "image/webp", 100, 400, "unsupported_type"),
    ("video", "video/quicktime", 100, 400, "unsupported_type"),
    ("document", "text/html", 100, 400, "unsupported_type"),
    ("hologram", "image/jpeg", 100, 400, "invalid"),
    ("photo", "image/jpeg", 0, 400, "invalid"),
    ("photo", "image/jpeg", "100", 400, "invalid"),
])
def test_bad_upload_requests_are_refused_before_issuing(judge_client, lot, kind, content_type, size, status, code):
    before = Media.objects.count()
    resp = ask(judge_client, lot, kind=kind, content_type=content_type, size=size)
    assert resp.status_code == status, resp.content
    assert resp.json()["error"]["code"] == code
    assert Media.objects.count() == before


def test_only_the_courts_judge_asks_for_uploads(api_client, as_user, bidder, other_judge, lot):
    before = Media.objects.count()
    assert ask(api_client, lot).status_code == 401
    assert ask(as_user(bidder), lot).status_code == 403
    assert ask(as_user(other_judge), lot).status_code == 403
    assert Media.objects.count() == before


@pytest.fixture
def local_storage(tmp_path):
    with override_settings(MEDIA_USES_S3=False, MEDIA_ROOT=tmp_path,
                           STORAGES={**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                                      "OPTIONS": {"location": str(tmp_path)}}}):
        yield tmp_path


def test_local_storage_round_trip(local_storage, judge_client, api_client, lot):
    resp = ask(judge_client, lot, kind="document", content_type="application/pdf", size=len(PDF), filename="报告.pdf")
    assert resp.status_code == 201, resp.content
    media_id, upload = resp.json()["media"]["id"], resp.json()["upload"]
    assert upload["url"] == f"/api/v1/media/{media_id}/upload/" and "token" in upload["fields"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    forged = api_client.post(upload["url"], {"token": upload["fields"]["token"] + "x", "file": SimpleUploadedFile("r.pdf", PDF)}, format="multipart")
    assert forged.status_code == 403
    sent = api_client.post(upload["url"], {**upload["fields"], "file": SimpleUploadedFile("r.pdf", PDF, "application/pdf")}, format="multipart")
    assert sent.status_code == 204, sent.content
    done = judge_client.post(f"/api/v1/media/{media_id}/complete/", format="json")
    assert done.status_code == 200 and done.json()["status"] == "ready"
    url = done.json()["url"]
    fetched = api_client.get(url)
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == PDF
    assert api_client.get(url.split("?")[0]).status_code == 403  # no token, no file
    item = Media.objects.get(pk=media_id)
    assert (local_storage / item.key).read_bytes() == PDF


def test_local_upload_with_wrong_content_is_rejected(local_storage, judge_client, api_client, lot):
    from django.core.files.uploadedfile import SimpleUploadedFile

    resp = ask(judge_client, lot, content_type="image/png", size=len(JPEG))
    media_id, upload = resp.json()["media"]["id"], resp.json()["upload"]
    api_client.post(upload["url"], {**upload["fields"], "file": SimpleUploadedFile("a.png", JPEG, "image/png")}, format="multipart")
    done = judge_client.post(f"/api/v1/media/{media_id}/complete/", format="json")
    assert done.status_code == 400 and done.json()["error"]["code"] == "upload_rejected"
    item = Media.objects.get(pk=media_id)
    assert item.status == "rejected" and not (local_storage / item.key).exists()
    # An oversize body is refused at the upload endpoint itself.
    resp = ask(judge_client, lot, content_type="image/png", size=len(PNG))
    upload = resp.json()["upload"]
    big = api_client.post(upload["url"], {**upload["fields"], "file": SimpleUploadedFile("b.png", PNG * 3, "image/png")}, format="multipart")
    assert big.status_code == 400 and big.json()["error"]["code"] == "size_mismatch"


@pytest.fixture
def announced_round_for(judge):
    from auction_site import clock
    from lots import services
    from lots.models import Round

    def make(lot):
        from datetime import timedelta

        from tests.lots.conftest import PARTY_NOTICE_DAYS, notify_parties_and_wait

        starts = clock.now() + timedelta(days=31 + PARTY_NOTICE_DAYS)
        rnd = Round.objects.create(lot=lot, number=1, starting_price=3_309_250_00, deposit=500_000_00, increment=5_000_00, starts_at=starts,
                                   ends_at=starts + timedelta(days=1), scheduled_ends_at=starts + timedelta(days=1), announcement="公告",
                                   created_at=clock.now())
        notify_parties_and_wait(judge, rnd)  # A16
        return services.publish_round(judge, round_id=rnd.pk)

    return make
