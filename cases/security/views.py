"""The second-factor page: set up an authenticator, then confirm each sign-in with a code."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from cases.security import totp


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    device = totp.device_for(request.user)  # type: ignore[arg-type]  # behind login_required, request.user is a User
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if totp.verify(request.user, form.cleaned_data["code"]):  # type: ignore[arg-type]  # behind login_required, request.user is a User
            totp.mark_verified(request)
            return redirect(next_url)
        form.add_error(
            "code", _("The code is not valid. Check your device's clock and try the current code.")
        )
    return render(
        request,
        "security/second_factor.html",
        {
            "form": form,
            "setup": device.confirmed_at is None,
            "secret": device.secret if device.confirmed_at is None else "",
            "uri": totp.provisioning_uri(device) if device.confirmed_at is None else "",
            "next": next_url,
        },
    )
