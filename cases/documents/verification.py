"""Public verification of a signed decision: by its file or by the code of its QR code.

Anyone may ask, without signing in, so the answer says only who signed, when, whether
the file is intact and trusted, and which decision it is: its number, date and issuing
body, nothing else about the case.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.core.errors import InvalidInput, NotFound
from cases.documents.signing import PdfCheck, check_pdf
from cases.models import Decision, Document, DocumentKind

CODE_PATTERN = re.compile(r"^[A-Z2-7]{16}$")
BOTH = _("Send either a file or a verification code, not both.")

STATUS_MESSAGES = {
    "valid": _("The file is intact and every signature chains to a trusted root."),
    "altered": _("The file was altered after it was signed."),
    "revoked": _("A signer's certificate has been revoked."),
    "untrusted": _("A signature was made with a key outside the trusted roots."),
    "unsigned": _("The file carries no digital signature."),
    "unreadable": _("The file is not a readable PDF."),
}


@dataclass(frozen=True)
class DecisionSummary:
    symbol: str
    decided_on: datetime.date
    issuing_body: str
    version: int


@dataclass(frozen=True)
class Verification:
    check: PdfCheck
    decision: DecisionSummary | None

    @property
    def status(self) -> str:
        return self.check.status

    @property
    def message(self) -> str:
        return str(STATUS_MESSAGES[self.status])


def _summary(document: Document) -> DecisionSummary | None:
    decision = (
        Decision.objects.filter(case_id=document.case_id).select_related("issuing_unit").first()
    )
    if decision is None:
        return None
    return DecisionSummary(
        symbol=decision.symbol,
        decided_on=decision.decided_on,
        issuing_body=decision.issuing_unit.name,
        version=document.version,
    )


def verify_file(*, content: bytes) -> Verification:
    """Check an uploaded file; name the decision when the file is one this system issued."""
    if not content:
        raise InvalidInput(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    if not content.startswith(b"%PDF-"):
        # The type is decided by the bytes, as for uploads (documents.storage).
        raise InvalidInput(
            _("Only PDF files can be verified; this file's content is of another type."),
            fields={"file": [_("Only PDF files can be verified.")]},
        )
    check = check_pdf(content)
    document = (
        Document.objects.filter(
            kind=DocumentKind.DECISION, sha256=check.sha256, signed_at__isnull=False
        )
        .order_by("-version")
        .first()
    )
    return Verification(check=check, decision=_summary(document) if document else None)


def verify_code(*, code: str) -> Verification:
    """Check the stored file of the version the code names (the QR code's address)."""
    code = (code or "").strip().upper()
    if not CODE_PATTERN.match(code):
        raise InvalidInput(
            _("A verification code has 16 letters and digits."),
            fields={"code": [_("Enter the code printed under the QR code.")]},
        )
    document = Document.objects.filter(
        kind=DocumentKind.DECISION, verification_code=code, signed_at__isnull=False
    ).first()
    if document is None:
        raise NotFound(
            _("No signed decision has this verification code."),
            fields={"code": [_("Unknown code.")]},
        )
    with document.file.open("rb") as handle:
        content = handle.read()
    return Verification(check=check_pdf(content), decision=_summary(document))
