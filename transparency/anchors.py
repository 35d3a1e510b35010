"""Where anchors are written: object storage under S3 Object Lock in compliance mode, retained for
10 years (A29; the bucket is created with Object Lock by lots.media.ensure_bucket), so not even the
bucket's owner can rewrite or delete one before then. The embedded mode (no object storage) writes read-only files under TRANSPARENCY_ANCHOR_DIR instead — a stand-in
that shows the flow, not a guarantee."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from lots.media import ensure_bucket, s3_client

RETENTION = timedelta(days=3653)  # A29: every bid and event kept at least 10 years
PREFIX = "anchors/"


def _bucket() -> str:
    return settings.TRANSPARENCY_ANCHOR_BUCKET


def write(key: str, document: dict, *, now: datetime) -> None:
    body = json.dumps(document, sort_keys=True, ensure_ascii=False).encode()
    if settings.MEDIA_USES_S3:
        ensure_bucket(_bucket(), object_lock=True)
        s3_client().put_object(Bucket=_bucket(), Key=key, Body=body, ContentType="application/json",
                               ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=now + RETENTION,
                               ChecksumAlgorithm="SHA256")
        return
    path = Path(settings.TRANSPARENCY_ANCHOR_DIR) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "wb") as f:
        f.write(body)


def read_all() -> list[dict]:
    """Every anchor document in storage, oldest first (keys sort by time)."""
    docs: list[dict] = []
    if settings.MEDIA_USES_S3:
        ensure_bucket(_bucket(), object_lock=True)
        client = s3_client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=_bucket(), Prefix=PREFIX):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=_bucket(), Key=item["Key"])["Body"].read()
                docs.append({"key": item["Key"], **json.loads(body)})
    else:
        folder = Path(settings.TRANSPARENCY_ANCHOR_DIR) / PREFIX
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            docs.append({"key": f"{PREFIX}{path.name}", **json.loads(path.read_text())})
    return sorted(docs, key=lambda d: d["key"])
