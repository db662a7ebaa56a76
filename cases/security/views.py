"""The second-factor page: redeem an enrolment code, set up an authenticator, then confirm
each sign-in with a code."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from cases.core.types import signed_in
from cases.models.security import TOTPDevice
from cases.security import totp
from cases.security.enrolment import redeem_enrolment_code
from cases.security.lockout import client_address, locked_until, record_failure


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EnrolmentForm(forms.Form):
    enrolment_code = forms.CharField(
        label=_("Enrolment code from your administrator"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    user = signed_in(request.user)  # behind login_required
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    device = TOTPDevice.objects.filter(user=user).first()
    # The secret is shown only in the session that redeemed the enrolment code.
    enrolling = (
        device is not None
        and device.confirmed_at is None
        and device.enrolled_at is not None
        and request.session.get(totp.ENROLMENT_SESSION_KEY) == user.pk
    )
    if device is None or (device.confirmed_at is None and device.enrolled_at is None):
        # No authenticator yet: the password alone shows no secret, an enrolment code does.
        enrol = EnrolmentForm(request.POST if request.method == "POST" else None)
        locked = locked_until(user.get_username(), client_address(request)) is not None
        if request.method == "POST" and locked:
            enrol.is_valid()
            enrol.add_error(None, _("Too many wrong enrolment codes; try again later."))
        elif request.method == "POST" and enrol.is_valid():
            redeemed = redeem_enrolment_code(
                user=user,
                code=enrol.cleaned_data["enrolment_code"],
            )
            if redeemed is not None:
                request.session[totp.ENROLMENT_SESSION_KEY] = user.pk
                return redirect(f"{request.path}?next={next_url}")
            record_failure(user.get_username(), client_address(request))
            enrol.add_error(
                "enrolment_code",
                _(
                    "This enrolment code is not valid, already used or expired. Ask your administrator for a new one."
                ),
            )
        return render(
            request,
            "security/second_factor.html",
            {"enrol_form": enrol, "next": next_url},
            status=400 if enrol.errors else 200,
        )
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if totp.verify(user, form.cleaned_data["code"]):
            request.session.pop(totp.ENROLMENT_SESSION_KEY, None)
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
            "setup": enrolling,
            "secret": device.secret if enrolling else "",
            "uri": totp.provisioning_uri(device) if enrolling else "",
            "next": next_url,
        },
    )
