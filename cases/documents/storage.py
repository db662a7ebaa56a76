"""Storing uploaded and generated documents: content-checked, hashed, versioned."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from cases.core.errors import InvalidInput
from cases.models import Case, CaseStep, Document

# Content signatures: the type is decided by the bytes, never by the file name.
SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]


def sniff_content_type(head: bytes) -> str | None:
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def _next_version(case: Case, kind: str) -> int:
    current = Document.objects.filter(case=case, kind=kind).aggregate(v=Max("version"))["v"]
    return (current or 0) + 1


def store_upload(
    *, case: Case, step: CaseStep | None, kind: str, upload: UploadedFile, by: Any
) -> Document:
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise InvalidInput(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    if upload.size > limit:
        raise InvalidInput(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(upload.size / 1048576, 1), "limit": round(limit / 1048576, 1)},
            fields={"file": [_("File too large.")]},
        )
    upload.seek(0)
    head = upload.read(16)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise InvalidInput(
            _("Only PDF, JPEG and PNG files are accepted; this file's content is of another type."),
            fields={"file": [_("Only PDF, JPEG and PNG files are accepted.")]},
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = (upload.name or "document").rsplit("/", 1)[-1][:200]
    document = Document(
        case=case,
        step=step,
        kind=kind,
        version=_next_version(case, kind),
        filename=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by if getattr(by, "is_authenticated", False) else None,
    )
    document.file.save(name, upload, save=False)
    document.save(force_insert=True)
    return document


def store_generated(
    *,
    case: Case,
    kind: str,
    content: bytes,
    filename: str,
    event: Any = None,
    step: CaseStep | None = None,
    signatures: list[dict[str, str]] | None = None,
    signed_at: Any = None,
    verification_code: str = "",
) -> Document:
    """A system-generated PDF, as a new version of its kind (issued documents never change)."""
    document = Document(
        case=case,
        step=step,
        kind=kind,
        version=_next_version(case, kind),
        filename=filename,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        generated=True,
        event=event,
        signatures=signatures or [],
        signed_at=signed_at,
        verification_code=verification_code,
    )
    document.file.save(filename, ContentFile(content), save=False)
    document.save(force_insert=True)
    return document
