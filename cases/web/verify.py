"""The public verification page: anyone checks a decision's file or its QR code's code."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.core.errors import CaseError
from cases.documents import verification
from cases.web.common import apply_case_error


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("Signed PDF file"), required=False)
    code = forms.CharField(label=_("Verification code"), max_length=32, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload = data.get("file")
        code = (data.get("code") or "").strip()
        if not upload and not code and "code" not in self.errors:
            self.add_error("file", _("Choose a PDF file or enter a verification code."))
        if upload and (code or "code" in self.errors):
            self.add_error("code", verification.BOTH)
        if upload is not None and upload.size > settings.UPLOAD_MAX_BYTES:
            self.add_error("file", _("File too large."))
        return data


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """GET ?code=… (the QR code's address) or POST a file; no sign-in."""
    result = None
    status = 200
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
    elif request.GET.get("code"):
        form = VerifyForm({"code": request.GET["code"]})
    else:
        form = VerifyForm()
    if form.is_bound and form.is_valid():
        try:
            upload = form.cleaned_data.get("file")
            if upload is not None:
                result = verification.verify_file(content=upload.read())
            else:
                result = verification.verify_code(code=form.cleaned_data["code"])
        except CaseError as exc:
            apply_case_error(form, exc)
            status = exc.http_status
    elif form.is_bound:
        status = 400
    return render(request, "verify.html", {"form": form, "result": result}, status=status)


@require_GET
def crl(request: HttpRequest) -> HttpResponse:
    """The published certificate revocation list (DER), where the certificates point."""

    path = Path(settings.SIGNING_CRL_PATH)
    if not path.is_file():
        raise Http404(_("No revocation list has been published yet."))
    return HttpResponse(path.read_bytes(), content_type="application/pkix-crl")
