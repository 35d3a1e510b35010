"""The embedded default's local files are read only through signed, expiring URLs (as presigned S3 URLs)."""

import time
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.http import Http404
from django.test import RequestFactory

from auction_site.storage import SignedFileSystemStorage, serve_signed


@pytest.fixture
def stored(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.AWS_QUERYSTRING_EXPIRE = 3600
    storage = SignedFileSystemStorage(location=tmp_path, base_url="/media/")
    key = storage.save("settlement/round-7/成交确认书.pdf", ContentFile(b"%PDF-1.4 confirmation"))
    return storage, key


def get(url: str):
    parts = urlsplit(url)
    request = RequestFactory().get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})
    return serve_signed(request, unquote(parts.path.removeprefix("/media/")))


def test_the_url_the_site_hands_out_reads_the_file(stored):
    storage, key = stored
    response = get(storage.url(key))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 confirmation"


def test_without_a_signature_or_with_another_files_signature_nothing_is_read(stored):
    storage, key = stored
    other = storage.save("settlement/round-8/other.pdf", ContentFile(b"%PDF other"))
    path = urlsplit(storage.url(key)).path
    with pytest.raises(Http404):
        get(path)  # the bare key, as the embedded mode used to serve it
    with pytest.raises(Http404):
        get(path + "?" + urlsplit(storage.url(other)).query)  # a signature of another key
    with pytest.raises(Http404):
        get(storage.url(key)[:-3] + "abc")  # tampered


def test_a_signed_url_expires(stored, monkeypatch):
    storage, key = stored
    url = storage.url(key)
    later = time.time() + 3601
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    with pytest.raises(Http404):
        get(url)
