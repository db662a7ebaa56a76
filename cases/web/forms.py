"""Forms of the web interface: one per engine action, plus filing, delegation and filters.

Forms check only the shape of the input (types, required fields, file size and type);
the engine decides everything the regulation says, and its refusals are put back on the
form by ``common.apply_case_error``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.documents.storage import upload_refusal
from cases.models import CaseStatus, Form, Level
from cases.workflow import engine as workflow

ACCEPT = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"
MAX_ID = 2**63 - 1  # ids are 64-bit integers
MAX_GROUNDS = 20  # as the API (CaseFileSerializer.grounds)


class DateInput(forms.DateInput):
    """A date typed as dd/mm/yyyy, whatever the browser's locale.

    Not ``type="date"``: its display follows the browser's locale (mm/dd/yyyy on an
    English browser), while every date of the interface is dd/mm/yyyy. ISO dates
    (yyyy-mm-dd) are still accepted (DATE_INPUT_FORMATS).
    """

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {
            "placeholder": "dd/mm/yyyy",
            "inputmode": "numeric",
            "autocomplete": "off",
            "pattern": r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}",
            "size": "10",
        }
        super().__init__(attrs={**base, **(attrs or {})}, format="%d/%m/%Y")

    def format_value(self, value: Any) -> str | None:
        # A typed or linked ISO date (yyyy-mm-dd) is shown back as dd/mm/yyyy too.
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value.strip())
            except ValueError:
                return value
        return super().format_value(value)


def check_upload(upload: UploadedFile | None) -> UploadedFile | None:
    """Refuse an upload that is too big or not a PDF, JPEG or PNG, saying why."""
    if upload is None:
        return None
    refusal = upload_refusal(upload)
    if refusal is not None:
        code, message = refusal
        raise forms.ValidationError(message, code=code)
    return upload


def _upload_help() -> str:
    return gettext("PDF, JPEG or PNG, at most %(limit)s MB.") % {
        "limit": round(settings.UPLOAD_MAX_BYTES / 1048576)
    }


# Lazy: form fields are built at import time, the language is chosen per request.
upload_help = lazy(_upload_help, str)


class UploadField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("help_text", upload_help())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        return check_upload(value) if value else value


def reason_field(required: bool, label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Reason"),
        required=required,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit trail.") if required else "",
    )


# --- engine actions ----------------------------------------------------------------------


class ActionForm(forms.Form):
    """Base of the action forms: the step the user saw, so a stale page is detected."""

    action_name = ""
    has_upload = False
    # A database id: a tampered value outside 1..2**63-1 is a field error, not "moved on".
    step_id = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )

    def engine_data(self) -> dict[str, Any]:
        return {}

    def engine_upload(self) -> UploadedFile | None:
        return None

    def engine_reason(self) -> str:
        return str(self.cleaned_data.get("reason") or "")


class AttachDocumentForm(ActionForm):
    action_name = workflow.ATTACH_DOCUMENT
    has_upload = True
    kind = forms.ChoiceField(label=_("Kind of document"))
    file = UploadField(label=_("File"))

    def __init__(
        self, *args: Any, kinds: list[tuple[str, Any]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Choose..."))] + (
            kinds
            if kinds is not None
            else [(k.value, k.label) for k in workflow.attachable_kinds()]
        )

    def engine_data(self) -> dict[str, Any]:
        return {"kind": self.cleaned_data["kind"]}

    def engine_upload(self) -> UploadedFile | None:
        return self.cleaned_data.get("file")


class RecordTalkForm(ActionForm):
    action_name = workflow.RECORD_TALK
    has_upload = True
    held_on = forms.DateField(label=_("Date of the talk"), widget=DateInput)
    summary = forms.CharField(
        label=_("What was said"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )
    file = UploadField(label=_("Signed minutes"), required=False)

    def engine_data(self) -> dict[str, Any]:
        return {
            "held_on": self.cleaned_data["held_on"].isoformat(),
            "summary": self.cleaned_data["summary"],
        }

    def engine_upload(self) -> UploadedFile | None:
        return self.cleaned_data.get("file")


class RecordVoteForm(ActionForm):
    """MDL-COL-2/3: the collective and the date are chosen; the roster gives the members."""

    action_name = workflow.RECORD_VOTE
    # Optional when the step names its collective (one candidate body, MDL-COL-7).
    collective = forms.ChoiceField(label=_("Collective"), required=False)
    meeting_on = forms.DateField(
        label=_("Meeting date"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=DateInput,
        required=False,
    )
    present = forms.IntegerField(label=_("Members present"), min_value=0, max_value=10000)
    votes_for = forms.IntegerField(label=_("Votes for"), min_value=0, max_value=10000)
    votes_against = forms.IntegerField(label=_("Votes against"), min_value=0, max_value=10000)
    invalid = forms.IntegerField(
        label=_("Blank or invalid ballots"), min_value=0, max_value=10000, required=False
    )

    def __init__(
        self,
        *args: Any,
        collectives: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(pk), label) for pk, label in collectives or []]
        self.fields["collective"].choices = (
            choices if len(choices) == 1 else [("", _("Choose..."))] + choices
        )

    def engine_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in ("present", "votes_for", "votes_against")}
        if self.cleaned_data.get("collective"):
            data["collective"] = self.cleaned_data["collective"]
        data["invalid"] = self.cleaned_data.get("invalid") or 0
        if self.cleaned_data.get("meeting_on"):
            data["meeting_on"] = self.cleaned_data["meeting_on"]
        return data


class CompleteStepForm(ActionForm):
    action_name = workflow.COMPLETE_STEP


class ApproveForm(ActionForm):
    action_name = workflow.APPROVE
    effective_on = forms.DateField(
        label=_("Effective date"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty for the date of the decision."),
    )
    signer_post = forms.CharField(
        label=_("Signer's title"),
        required=False,
        max_length=120,
        help_text=_("Leave empty for the title of the head of the deciding body."),
    )
    reason = reason_field(False, _("Notes for the record"))

    def engine_data(self) -> dict[str, Any]:
        effective = self.cleaned_data.get("effective_on")
        return {
            "effective_on": effective.isoformat() if effective else "",
            "signer_post": self.cleaned_data.get("signer_post") or "",
        }


class RejectForm(ActionForm):
    action_name = workflow.REJECT
    reason = reason_field(True)


class ExtendDeadlineForm(ActionForm):
    action_name = workflow.EXTEND_DEADLINE
    extend_to = forms.DateField(label=_("New due date"), widget=DateInput)
    reason = reason_field(True, _("Objective reason for the extension"))

    def engine_data(self) -> dict[str, Any]:
        return {"extend_to": self.cleaned_data["extend_to"].isoformat()}


class WithdrawForm(ActionForm):
    action_name = workflow.WITHDRAW
    reason = reason_field(True, _("Why you withdraw the application"))


class CompleteImplementationForm(ActionForm):
    action_name = workflow.COMPLETE_IMPLEMENTATION


class ReassignForm(ActionForm):
    action_name = workflow.REASSIGN
    assignee = forms.ChoiceField(label=_("Give the step to"))
    reason = reason_field(True)

    def __init__(
        self, *args: Any, members: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Choose..."))] + [
            (str(pk), name) for pk, name in members or []
        ]

    def engine_data(self) -> dict[str, Any]:
        return {"assignee": self.cleaned_data["assignee"]}


class TakeOverForm(ActionForm):
    action_name = workflow.TAKE_OVER
    unit = forms.ChoiceField(label=_("Take the step over to"))
    reason = reason_field(True)

    def __init__(
        self, *args: Any, units: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(str(pk), name) for pk, name in units or []]

    def engine_data(self) -> dict[str, Any]:
        return {"unit": self.cleaned_data["unit"]}


ACTION_FORMS: dict[str, type[ActionForm]] = {
    cls.action_name: cls
    for cls in (
        AttachDocumentForm,
        RecordTalkForm,
        RecordVoteForm,
        CompleteStepForm,
        ApproveForm,
        RejectForm,
        ExtendDeadlineForm,
        WithdrawForm,
        CompleteImplementationForm,
        ReassignForm,
        TakeOverForm,
    )
}


# --- filing ---------------------------------------------------------------------------------


class GroundsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Grounds"))
        kwargs.setdefault("error_messages", {"required": _("Choose at least one ground.")})
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        # Checked first: a tampered request with thousands of items is refused at once.
        if value and len(value) > MAX_GROUNDS:
            raise forms.ValidationError(
                _("Choose at most %(count)s grounds."),
                code="max_length",
                params={"count": MAX_GROUNDS},
            )
        super().validate(value)


class ResignationForm(forms.Form):
    """An official's own application; the grounds are those of the regime in force."""

    grounds = GroundsField()
    statement = forms.CharField(
        label=_("Your statement"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Explain why you ask to resign from this post."),
    )
    application = UploadField(label=_("Signed application"))

    def __init__(self, *args: Any, grounds: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grounds"].choices = [(g.code, g.code) for g in grounds]


class FileCaseForm(forms.Form):
    """A clerk files a case: dismissal or termination, or receives a resignation."""

    form = forms.ChoiceField(label=_("Form"), choices=[("", _("Choose..."))] + list(Form.choices))
    appointment = forms.ChoiceField(label=_("Official and post"))
    grounds = GroundsField()
    statement = forms.CharField(
        label=_("Statement of the case"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    filed_on = forms.DateField(
        label=_("Filing date"),
        required=False,
        widget=DateInput,
        help_text=_("The regulation in force on this date applies. Leave empty for today."),
    )
    document = UploadField(
        label=_("Document"),
        required=False,
        help_text=_(
            "For a resignation: the official's signed application (required). Otherwise: evidence for the grounds. PDF, JPEG or PNG."
        ),
    )

    def __init__(
        self, *args: Any, appointments: list[tuple[int, str]], grounds: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment"].choices = [("", _("Choose..."))] + [
            (str(pk), label) for pk, label in appointments
        ]
        self.fields["grounds"].choices = [(g.code, g.code) for g in grounds]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("form") == Form.RESIGNATION
            and not data.get("document")
            and "document" not in self.errors
        ):
            self.add_error("document", _("Attach the official's signed application."))
        return data


class DelegationForm(forms.Form):
    unit = forms.ChoiceField(label=_("Body whose decisions you delegate"))
    deputy = forms.ChoiceField(label=_("Deputy"))
    valid_from = forms.DateField(label=_("From"), widget=DateInput)
    valid_to = forms.DateField(label=_("Until"), widget=DateInput)
    reason = reason_field(True)

    def __init__(
        self,
        *args: Any,
        units: list[tuple[int, str]],
        deputies: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(str(pk), name) for pk, name in units]
        self.fields["deputy"].choices = [("", _("Choose..."))] + [
            (str(pk), name) for pk, name in deputies
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end date is before the start date."))
        return data


# --- filters --------------------------------------------------------------------------------


def _choices(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All"))] + pairs


class InboxFilterForm(forms.Form):
    form = forms.ChoiceField(label=_("Form"), required=False, choices=_choices(list(Form.choices)))
    regime = forms.ChoiceField(label=_("Regulation"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_choices(
            [
                (CaseStatus.OPEN.value, CaseStatus.OPEN.label),
                (CaseStatus.IMPLEMENTATION.value, CaseStatus.IMPLEMENTATION.label),
            ]
            + [("overdue", _("Overdue")), ("due_soon", _("Due within 3 days"))]
        ),
    )
    unit = forms.ChoiceField(label=_("Unit"), required=False)

    def __init__(
        self,
        *args: Any,
        regimes: list[tuple[str, str]],
        units: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regime"].choices = _choices(list(regimes))
        self.fields["unit"].choices = _choices([(str(pk), name) for pk, name in units])


class CaseSearchForm(InboxFilterForm):
    q = forms.CharField(label=_("Reference or official"), required=False, max_length=100)
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=_choices(list(Level.choices))
    )
    ground = forms.CharField(label=_("Ground (stable ID)"), required=False, max_length=32)
    filed_from = forms.DateField(label=_("Filed from"), required=False, widget=DateInput)
    filed_to = forms.DateField(label=_("Filed until"), required=False, widget=DateInput)
    overdue = forms.BooleanField(label=_("Only cases with an overdue step"), required=False)

    field_order = [
        "q",
        "form",
        "regime",
        "status",
        "level",
        "unit",
        "ground",
        "filed_from",
        "filed_to",
        "overdue",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices(list(CaseStatus.choices))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("filed_from"), data.get("filed_to")
        if start and end and start > end:
            # An inverted range would list nothing; say so instead of an empty result.
            self.add_error(
                "filed_to",
                _("The end date (%(end)s) is before the start date (%(start)s).")
                % {"end": end.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")},
            )
        return data


class AsOfForm(forms.Form):
    on = forms.DateField(label=_("Show the case as it stood on"), widget=DateInput)

    def clean_on(self) -> datetime.date:
        return self.cleaned_data["on"]
