"""Enumerations shared by the catalog, the organisation and the cases."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Form(models.TextChoices):
    TERMINATION = "termination", _("Termination of position")
    DISMISSAL = "dismissal", _("Dismissal")
    RESIGNATION = "resignation", _("Resignation")


class Verification(models.TextChoices):
    VERIFIED = "V", _("Verified")
    PARTIAL = "P", _("Partial")
    UNVERIFIED = "U", _("Unverified")


class AuthorityScope(models.TextChoices):
    SAME_LEVEL = "same_level", _("Same level")
    SUPERIOR = "superior", _("Superior level")


class Level(models.TextChoices):
    CENTRAL = "central", _("Central")
    PROVINCIAL = "provincial", _("Provincial")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")


class UnitKind(models.TextChoices):
    PARTY = "party", _("Party body")
    STATE = "state", _("State body")
    OTHER = "other", _("Front or socio-political organisation")


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk")
    AUTHORITY = "authority", _("Approving authority")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class ActorRole(models.TextChoices):
    OFFICIAL = "official", _("The official")
    CLERK = "clerk", _("Clerk")
    AUTHORITY = "authority", _("Approving authority")


class ActorUnit(models.TextChoices):
    EMPLOYING = "employing", _("Employing unit")
    DECIDING = "deciding", _("Deciding unit")
    # LGL25-A-2: the level above that approves a People's Council result.
    APPROVING = "approving", _("Approving unit")


class StepKind(models.TextChoices):
    APPLICATION = "application", _("Application")
    EXCHANGE = "exchange", _("Exchange and proposal")
    CONSULTATION = "consultation", _("Consultation")
    OPINION = "opinion", _("Written opinion")
    APPRAISAL = "appraisal", _("Appraisal and submission")
    PROPOSAL = "proposal", _("Proposal")
    DECISION = "decision", _("Decision")
    APPROVAL = "approval", _("Approval of the result")
    IMPLEMENTATION = "implementation", _("Implementation")


class DayUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("Working days")
    UNQUALIFIED_DAYS = "unqualified_days", _("Days (unqualified)")
    SITTING = "sitting", _("Sitting")
    MONTHS = "months", _("Calendar months")
    NONE = "none", _("No limit")


class ExclusionCondition(models.TextChoices):
    DISMISSAL_REQUIRED = "dismissal_required", _("A dismissal ground is established")
    PROTECTED_TASK = "protected_task", _("On a protected task")
    UNDER_INSPECTION = "under_inspection", _("Under inspection or investigation")
    LOW_CONFIDENCE_BAND = "low_confidence_band", _("Low-confidence share in a dismissal band")


class ExclusionMode(models.TextChoices):
    BLOCK = "block", _("Block")
    WARNING = "warning", _("Warning")


class Evidence(models.TextChoices):
    NONE = "", _("None")
    LOW_CONFIDENCE_OVER_HALF = "low_confidence_over_half", _("Low-confidence votes over half")
    LOW_CONFIDENCE_OVER_TWO_THIRDS = (
        "low_confidence_over_two_thirds",
        _("Low-confidence votes over two thirds"),
    )


class DocumentKind(models.TextChoices):
    APPLICATION = "application", _("Resignation application")
    MINUTES = "minutes", _("Minutes")
    PROPOSAL = "proposal", _("Proposal (submission)")
    OPINION = "opinion", _("Written opinion")
    APPRAISAL = "appraisal", _("Appraisal report")
    EVIDENCE = "evidence", _("Related documents and evidence")
    CV = "cv", _("Summary curriculum vitae")
    ASSESSMENT = "assessment", _("Assessment of the official")
    DECISION = "decision", _("Decision")
    VOTE_TALLY = "vote_tally", _("Vote tally")
    REMINDER_NOTICE = "reminder_notice", _("Reminder notice")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    IMPLEMENTATION = "implementation", _("Being implemented")
    # MDL-TRK-6(b): a track decided, a later one failed; flagged for manual handling.
    PARTIALLY_DECIDED = "partially_decided", _("Partially decided")
    CLOSED = "closed", _("Closed")


class CaseOutcome(models.TextChoices):
    PENDING = "", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class StepOutcome(models.TextChoices):
    """How a step ended (``CaseStep.outcome``); the deciding step ends as the case does."""

    DONE = "done", _("Done")
    APPROVED = CaseOutcome.APPROVED.value, CaseOutcome.APPROVED.label
    REJECTED = CaseOutcome.REJECTED.value, CaseOutcome.REJECTED.label
    WITHDRAWN = CaseOutcome.WITHDRAWN.value, CaseOutcome.WITHDRAWN.label
    # MDL-TRK-6: a decided track's own implementation is the next track itself.
    NEXT_TRACK = "next_track", _("Left to the next track")


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Not started")
    ACTIVE = "active", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CircumstanceKind(models.TextChoices):
    UNDER_INSPECTION = "under_inspection", _("Under inspection, audit or investigation")
    UNDER_PROSECUTION = "under_prosecution", _("Being prosecuted, investigated, indicted or tried")
    PROTECTED_TASK = "protected_task", _("On a defence, security, key or confidential task")
    DISMISSAL_GROUND = "dismissal_ground", _("Dismissal ground established")
    CONFIDENCE_POLL = "confidence_poll", _("Confidence poll result")


class HolidayOverrideKind(models.TextChoices):
    DAY_OFF = "day_off", _("Day off (compensatory or announced)")
    WORKING_DAY = "working_day", _("Working day (swapped)")


class TrackKind(models.TextChoices):
    """MDL-TRK-1: the procedures a post's holder leaves it through."""

    PARTY = "party", _("Party track")
    STATE_APPOINTED = "state_appointed", _("State track (appointed civil servant)")
    STATE_ELECTED = "state_elected", _("State track (elected by the People's Council)")


class Instrument(models.TextChoices):
    """The act that decides a track (MDL-TRK-3, MDL-TRK-8), and its FMT30 type code."""

    DECISION = "decision", _("Decision")
    RESOLUTION = "resolution", _("Resolution")
    # MDL-TRK-8 / LGL25-NR-1: the HĐND Standing Board's report to the People's Council.
    REPORT = "report", _("Report")


class TrackStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the previous track")
    OPEN = "open", _("In progress")
    VOTED_PENDING_APPROVAL = "voted_pending_approval", _("Voted, awaiting approval")
    APPROVED = "approved", _("Decided: approved")
    REJECTED = "rejected", _("Decided: rejected")
    FAILED = "failed", _("Failed")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")
