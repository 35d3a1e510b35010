"""The embedded default's object store: local files whose URLs are signed and expire, as the private
bucket's presigned URLs are in S3 mode (settings.AWS_QUERYSTRING_EXPIRE), so a valuation report or a
settlement document is readable only through a link the site handed out, and not for ever."""

from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve

_SALT = "auction_site.storage.url"


class SignedFileSystemStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        return f"{super().url(name)}?sig={quote(signing.dumps(name, salt=_SALT))}"


def serve_signed(request: HttpRequest, path: str) -> HttpResponse:
    """`/media/<key>?sig=…`: the file, only with a signature of that key not older than the expiry."""
    try:
        signed = signing.loads(request.GET.get("sig", ""), salt=_SALT, max_age=settings.AWS_QUERYSTRING_EXPIRE)
    except signing.BadSignature:  # includes an expired signature
        raise Http404("no such file") from None
    if signed != path:
        raise Http404("no such file")
    return serve(request, path, document_root=settings.MEDIA_ROOT)
