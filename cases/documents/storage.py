"""Storing uploaded and generated documents: content-checked, hashed, versioned."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Max
from django.utils.functional import Promise
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


# The field messages of ``store_upload``'s refusals, by refusal code.
FIELD_MESSAGES = {
    "empty": _("The file is empty."),
    "too_large": _("File too large."),
    "bad_type": _("Only PDF, JPEG and PNG files are accepted."),
}


def upload_refusal(upload: UploadedFile[Any]) -> tuple[str, str | Promise] | None:
    """Why an upload is refused, as (code, sentence), or None for a PDF, JPEG or PNG
    within ``UPLOAD_MAX_BYTES``; the code is ``empty``, ``too_large`` or ``bad_type``.
    The sentence stays lazy where it can, so it is shown in the reader's language.

    The one upload rule: the web forms, the API's upload fields and ``store_upload``
    all ask it, so each refuses the same files with the same words.
    """
    limit = settings.UPLOAD_MAX_BYTES
    if not upload.size:
        return "empty", _("The file is empty.")
    if upload.size > limit:
        return "too_large", _("The file is too large (%(size)s MB); the limit is %(limit)s MB.") % {
            "size": round(upload.size / 1048576, 1),
            "limit": round(limit / 1048576, 1),
        }
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if sniff_content_type(head) is None:
        return "bad_type", _(
            "Only PDF, JPEG and PNG files are accepted; this file's content is of another type."
        )
    return None


def _next_version(case: Case, kind: str) -> int:
    current = Document.objects.filter(case=case, kind=kind).aggregate(v=Max("version"))["v"]
    return (current or 0) + 1


def store_upload(
    *, case: Case, step: CaseStep | None, kind: str, upload: UploadedFile[Any], by: Any
) -> Document:
    refusal = upload_refusal(upload)
    if refusal is not None:
        code, message = refusal
        raise InvalidInput(message, fields={"file": [FIELD_MESSAGES[code]]})
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16)) or ""
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
        size=upload.size or 0,
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
    )
    document.file.save(filename, ContentFile(content), save=False)
    document.save(force_insert=True)
    return document
