"""Media of lots in object storage (S3 protocol) or, in the embedded default, local files.

Public interface:
- ``ALLOWED_TYPES[kind] -> set of content types``; limits in ``settings.MEDIA_MAX_BYTES[kind]``.
- ``check_declared(kind, content_type, size)``  raises DomainError before any upload URL is issued.
- ``ensure_bucket()``  creates the private bucket when missing (S3 mode; no-op otherwise).
- ``upload_target(media) -> {"url", "fields", "method"}``  S3: a presigned POST (content-type and
  content-length-range conditions); local: our own endpoint guarded by a signed token.
- ``inspect(media) -> Stored | None``  what is actually stored (size, content type, first bytes).
- ``mismatch(media, stored) -> str | None``  why the stored object does not match (None if it does).
- ``delete(media)``
- ``url_for(media, expires=None) -> str``  a signed GET URL with an expiry (S3 presigned, or our signed
  local endpoint). Callers decide who may see it with ``lots.selectors.visible_media``.
- ``save_local_upload(media, token, fileobj)`` / ``open_local(media, token)``  the local endpoints' work.

Server-side checks do not trust the browser: the S3-protocol server used in tests (moto) does not
enforce POST policy conditions, so ``complete`` re-checks size, content type and the file's magic bytes.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core import signing
from django.core.files.storage import storages
from django.urls import reverse

from auction_site.errors import DomainError, ErrorCode, NotFound
from lots.models import Lot, Media

ALLOWED_TYPES: dict[str, set[str]] = {
    "photo": {"image/jpeg", "image/png", "image/webp"},
    "panorama": {"image/jpeg", "image/png"},
    "video": {"video/mp4", "video/webm"},
    "document": {"application/pdf"},
}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4",
              "video/webm": ".webm", "application/pdf": ".pdf"}
UPLOAD_SALT = "lots.media.upload"
VIEW_SALT = "lots.media.view"
UPLOAD_TOKEN_MAX_AGE = 3600


def _sniff(head: bytes) -> str | None:
    """Content type from the file's first bytes (the ones we accept)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def max_bytes(kind: str) -> int:
    return int(settings.MEDIA_MAX_BYTES[kind])


def check_declared(kind: str, content_type: str, size: int) -> None:
    if kind not in ALLOWED_TYPES:
        raise DomainError(ErrorCode.INVALID_KIND, f"文件类别无效 / kind must be one of {', '.join(ALLOWED_TYPES)}", field="kind")
    if content_type not in ALLOWED_TYPES[kind]:
        raise DomainError(ErrorCode.UNSUPPORTED_TYPE, f"不支持的文件类型 / {kind} accepts {', '.join(sorted(ALLOWED_TYPES[kind]))}", field="content_type")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise DomainError(ErrorCode.INVALID_SIZE, "文件大小无效 / size must be a positive integer of bytes", field="size")
    if size > max_bytes(kind):
        raise DomainError(ErrorCode.TOO_LARGE, f"文件过大，上限 {max_bytes(kind)} 字节 / file larger than {max_bytes(kind)} bytes", field="size", status=413)


def new_key(lot: Lot, kind: str, filename: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", PurePosixPath(filename or "file").stem)[:40].strip("-") or "file"
    return f"lots/{lot.pk}/{kind}/{uuid.uuid4().hex}-{stem}"


# ------------------------------------------------------------------------------------------------ S3


@functools.lru_cache(maxsize=4)
def _client(endpoint: str | None, region: str, key: str, secret: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint or None, region_name=region, aws_access_key_id=key or None, aws_secret_access_key=secret or None,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def s3_client():
    return _client(settings.AWS_S3_ENDPOINT_URL, settings.AWS_S3_REGION_NAME, settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY)


def bucket() -> str:
    return settings.AWS_STORAGE_BUCKET_NAME


_bucket_ready: set[str] = set()


def ensure_bucket(name: str | None = None, *, object_lock: bool = False) -> None:
    """Create a private bucket (the media bucket by default) if it does not exist (S3 mode only).
    `object_lock`: created with S3 Object Lock enabled (it cannot be turned on later)."""
    if not settings.MEDIA_USES_S3:
        return
    name = name or bucket()
    if name in _bucket_ready:
        return
    from botocore.exceptions import ClientError

    client = s3_client()
    try:
        client.head_bucket(Bucket=name)
    except ClientError:
        kwargs: dict = {"Bucket": name}
        if object_lock:
            kwargs["ObjectLockEnabledForBucket"] = True
        if settings.AWS_S3_REGION_NAME and settings.AWS_S3_REGION_NAME != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": settings.AWS_S3_REGION_NAME}
        try:
            client.create_bucket(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise
        client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        })
    _bucket_ready.add(name)


# -------------------------------------------------------------------------------------------- targets


def upload_target(item: Media) -> dict:
    if settings.MEDIA_USES_S3:
        ensure_bucket()
        post = s3_client().generate_presigned_post(
            Bucket=bucket(), Key=item.key,
            Fields={"Content-Type": item.content_type},
            Conditions=[{"Content-Type": item.content_type}, ["content-length-range", item.size, item.size]],
            ExpiresIn=UPLOAD_TOKEN_MAX_AGE,
        )
        return {"url": post["url"], "fields": post["fields"], "method": "POST"}
    token = signing.dumps({"media": item.pk, "key": item.key}, salt=UPLOAD_SALT)
    return {"url": reverse("media-local-upload", args=[item.pk]), "fields": {"token": token}, "method": "POST"}


@dataclass(frozen=True)
class Stored:
    size: int
    content_type: str
    head: bytes


def inspect(item: Media) -> Stored | None:
    if settings.MEDIA_USES_S3:
        from botocore.exceptions import ClientError

        client = s3_client()
        try:
            meta = client.head_object(Bucket=bucket(), Key=item.key)
        except ClientError:
            return None
        size = int(meta.get("ContentLength", 0))
        head = b""
        if size:
            head = client.get_object(Bucket=bucket(), Key=item.key, Range="bytes=0-15")["Body"].read()
        return Stored(size=size, content_type=meta.get("ContentType", ""), head=head)
    storage = storages["default"]
    if not storage.exists(item.key):
        return None
    with storage.open(item.key, "rb") as fh:
        head = fh.read(16)
    return Stored(size=storage.size(item.key), content_type=item.content_type, head=head)


def mismatch(item: Media, stored: Stored) -> str | None:
    if stored.size != item.size:
        return f"大小与申报不符 / size {stored.size} differs from the declared {item.size}"
    if stored.size > max_bytes(item.kind):
        return "文件过大 / file too large"
    if stored.content_type.split(";")[0].strip() != item.content_type:
        return f"类型与申报不符 / stored type {stored.content_type!r} differs from {item.content_type!r}"
    sniffed = _sniff(stored.head)
    if sniffed != item.content_type:
        return f"文件内容与类型不符 / the file's content is not {item.content_type}"
    return None


def delete(item: Media) -> None:
    if settings.MEDIA_USES_S3:
        s3_client().delete_object(Bucket=bucket(), Key=item.key)
    else:
        storages["default"].delete(item.key)


def url_for(item: Media, expires: int | None = None) -> str:
    """A signed, expiring GET URL for one stored media file."""
    expires = expires or settings.AWS_QUERYSTRING_EXPIRE
    if settings.MEDIA_USES_S3:
        return s3_client().generate_presigned_url(
            "get_object", Params={"Bucket": bucket(), "Key": item.key, "ResponseContentType": item.content_type}, ExpiresIn=expires,
        )
    token = signing.dumps({"media": item.pk, "exp": expires}, salt=VIEW_SALT)
    return f"{reverse('media-local-file', args=[item.pk])}?token={token}"


# ----------------------------------------------------------------------------------- local endpoints


def save_local_upload(item: Media, token: str, fileobj) -> None:
    """Store an upload sent to our own endpoint (embedded default). The token was issued for this media."""
    if settings.MEDIA_USES_S3:
        raise NotFound()
    try:
        data = signing.loads(token or "", salt=UPLOAD_SALT, max_age=UPLOAD_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise DomainError(ErrorCode.BAD_TOKEN, "上传凭证无效或已过期 / the upload token is invalid or expired", status=403)
    if data.get("media") != item.pk or data.get("key") != item.key:
        raise DomainError(ErrorCode.BAD_TOKEN, "上传凭证无效 / the upload token is not for this file", status=403)
    if item.status != Media.Status.PENDING:
        raise DomainError(ErrorCode.ALREADY_UPLOADED, "文件已处理 / this upload is already complete", status=409)
    if fileobj is None:
        raise DomainError(ErrorCode.FILE_REQUIRED, "缺少文件 / no file in the upload (field 'file')", field="file")
    if fileobj.size > max_bytes(item.kind) or fileobj.size != item.size:
        raise DomainError(ErrorCode.SIZE_MISMATCH, "文件大小与申报不符 / the file size differs from the declared size", field="file")
    storage = storages["default"]
    if storage.exists(item.key):
        storage.delete(item.key)
    saved = storage.save(item.key, fileobj)
    if saved != item.key:  # never happens with a fresh key; refuse rather than point at the wrong file
        storage.delete(saved)
        raise DomainError(ErrorCode.STORAGE_ERROR, "存储失败 / could not store the file", status=409)


def check_view_token(item: Media, token: str) -> None:
    try:
        expires = int(signing.loads(token or "", salt=VIEW_SALT).get("exp") or settings.AWS_QUERYSTRING_EXPIRE)
        data = signing.loads(token or "", salt=VIEW_SALT, max_age=expires)
    except (signing.BadSignature, AttributeError, TypeError, ValueError):
        raise DomainError(ErrorCode.BAD_TOKEN, "链接无效或已过期 / the link is invalid or expired", status=403)
    if data.get("media") != item.pk:
        raise DomainError(ErrorCode.BAD_TOKEN, "链接无效 / the link is not for this file", status=403)


def open_local(item: Media, token: str):
    if settings.MEDIA_USES_S3:
        raise NotFound()
    check_view_token(item, token)
    if item.status != Media.Status.READY:
        raise NotFound("文件不存在 / no such file")
    return storages["default"].open(item.key, "rb")
