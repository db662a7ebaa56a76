"""Sign-in and sign-out: Django's views with our templates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.security.lockout import client_address, locked_until


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The user name or password is not correct. Both are case-sensitive."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs["autocomplete"] = "username"

    def clean(self) -> dict[str, Any]:
        # Checked before the password, so a locked account says why, not "wrong password".
        # The cleaned name, not the raw input: a refused one (a NUL character, too long)
        # must not reach the database, where PostgreSQL would fail on it with a 500.
        username = self.cleaned_data.get("username")
        if username is None:
            return self.cleaned_data
        until = locked_until(username, client_address(self.request))
        if until is not None:
            raise forms.ValidationError(
                _(
                    "Too many failed sign-ins: this account or address is locked until %(time)s. Try again later or ask an administrator to unlock it."
                ),
                code="locked",
                params={"time": timezone.localtime(until).strftime("%H:%M %d/%m/%Y")},
            )
        return super().clean()


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass
