"""Storing uploaded and generated documents: content-checked, hashed, versioned."""

from __future__ import annotations

import hashlib
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

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


# Names whose presence in a PDF means active content: script, actions that run or open
# something, attached files, forms that can submit or run script.
ACTIVE_PDF_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/FileAttachment",
        "/RichMedia",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/XFA",
    }
)
_MAX_PDF_OBJECTS = 200_000


def _active_key(key: object, value: object) -> bool:
    if key in ACTIVE_PDF_NAMES:
        return True
    return (
        key in ("/S", "/Subtype", "/Type")
        and isinstance(value, NameObject)
        and value in ACTIVE_PDF_NAMES
    )


def _walk_objects(root: object) -> str | None:
    """Every object reachable from ``root``, once: "active_content" at the first active
    name, "not_well_formed" past ``_MAX_PDF_OBJECTS``, else None."""
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            if len(seen) > _MAX_PDF_OBJECTS:
                return "not_well_formed"
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # stream dictionaries included
            for key, value in item.items():
                if _active_key(key, value):
                    return "active_content"
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def pdf_problem(content: IO[bytes]) -> str | None:
    """Why an uploaded PDF is refused (not well formed, or active content), or None.

    The bytes are parsed with pypdf, not judged by their first bytes: ``%PDF-`` followed
    by HTML is not a PDF, and a real PDF with an ``/OpenAction`` script is refused.
    """
    content.seek(0, 2)
    size = content.tell()
    content.seek(max(0, size - 1024))
    if not content.read().rstrip().endswith(b"%%EOF"):
        return "not_well_formed"  # something follows the PDF (or it was cut short)
    content.seek(0)
    try:
        reader = PdfReader(content, strict=False)
        if len(reader.pages) < 1 or "/Root" not in reader.trailer:
            return "not_well_formed"
        return _walk_objects(reader.trailer)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return "not_well_formed"
    finally:
        content.seek(0)
    return None


# The field messages of ``store_upload``'s refusals, by refusal code.
FIELD_MESSAGES = {
    "empty": _("The file is empty."),
    "too_large": _("File too large."),
    "bad_type": _("Only PDF, JPEG and PNG files are accepted."),
    "active_content": _("PDF with active content."),
    "not_well_formed": _("Not a well-formed PDF."),
}


def upload_refusal(upload: UploadedFile[Any]) -> tuple[str, str | Promise] | None:
    """Why an upload is refused, as (code, sentence), or None for a PDF, JPEG or PNG
    within ``UPLOAD_MAX_BYTES``; the code is ``empty``, ``too_large``, ``bad_type``, or for a
    PDF that pypdf cannot parse or that carries active content ``not_well_formed`` or
    ``active_content``.
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
    content_type = sniff_content_type(head)
    if content_type is None:
        return "bad_type", _(
            "Only PDF, JPEG and PNG files are accepted; this file's content is of another type."
        )
    if content_type == "application/pdf":
        problem = pdf_problem(upload)
        if problem == "active_content":
            return problem, _(
                "This PDF contains scripts, actions, attached files or forms that run; save it again as a plain PDF (print to PDF) and upload that."
            )
        if problem is not None:
            return problem, _("This file starts like a PDF but is not a well-formed PDF document.")
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
