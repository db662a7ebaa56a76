from cases.models.audit import GENESIS_HASH, CaseEvent
from cases.models.cache import CacheGeneration
from cases.models.calendar import HolidayOverride
from cases.models.case import Case, CaseStep, Decision, DecisionRegister, Document, Vote
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
from cases.models.security import SignInThrottle, TOTPDevice

__all__ = [
    "GENESIS_HASH",
    "DISTRICT_LEVEL_ENDS",
    "Appointment",
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
    "Exclusion",
    "Ground",
    "HolidayOverride",
    "ImportJob",
    "Membership",
    "Notification",
    "Official",
    "OfficialCircumstance",
    "OrgUnit",
    "Position",
    "ProcessTemplate",
    "Provision",
    "Regulation",
    "Reminder",
    "SignInThrottle",
    "TOTPDevice",
    "StepTemplate",
    "TimeLimit",
    "UserPreference",
    "Vote",
]
