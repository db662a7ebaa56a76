from cases.models.audit import GENESIS_HASH, AuditCheckpoint, CaseEvent
from cases.models.cache import CacheGeneration
from cases.models.calendar import HolidayOverride
from cases.models.case import (
    Case,
    CaseStep,
    Decision,
    DecisionRegister,
    Document,
    NoDecision,
    Vote,
)
from cases.models.catalog import (
    CatalogFrozen,
    CatalogVersion,
    Exclusion,
    Ground,
    ProcessTemplate,
    Provision,
    Regulation,
    StepTemplate,
    TimeLimit,
)
from cases.models.choices import *  # noqa: F403
from cases.models.imports import ImportJob
from cases.models.notify import Delegation, Notification, Reminder, UserPreference
from cases.models.org import (
    DISTRICT_LEVEL_ENDS,
    Appointment,
    Membership,
    Official,
    OfficialCircumstance,
    OrgUnit,
    Position,
)
from cases.models.security import EnrolmentCode, SignInThrottle, TOTPDevice
from cases.models.signing import SigningKey
from cases.models.track import PostTrack, Track

__all__ = [
    "GENESIS_HASH",
    "DISTRICT_LEVEL_ENDS",
    "Appointment",
    "AuditCheckpoint",
    "CacheGeneration",
    "Case",
    "CaseEvent",
    "CaseStep",
    "CatalogFrozen",
    "CatalogVersion",
    "Decision",
    "DecisionRegister",
    "Delegation",
    "Document",
    "EnrolmentCode",
    "Exclusion",
    "Ground",
    "HolidayOverride",
    "ImportJob",
    "Membership",
    "NoDecision",
    "Notification",
    "Official",
    "OfficialCircumstance",
    "OrgUnit",
    "Position",
    "PostTrack",
    "ProcessTemplate",
    "Provision",
    "Regulation",
    "Reminder",
    "SignInThrottle",
    "SigningKey",
    "TOTPDevice",
    "StepTemplate",
    "TimeLimit",
    "Track",
    "UserPreference",
    "Vote",
]
