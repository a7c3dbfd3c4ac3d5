"""Who may see what: the roles people hold and the scope each covers.

A department handler sees its own department only; a reviewer at an administration office sees a region
and everything under it; an admin sees everything. Tickets, indices and profiles ask the same question
as ratings do: does this person's scope cover any subject a thing counts for?"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple, Protocol

from functions.core.domain.directory import SubjectKind, SubjectRef, normalise_code
from functions.core.domain.errors import NotFound, Unauthenticated, ValidationFailed
from functions.core.domain.regions import InvalidRegionCode, is_within, normalise_region_code


class Role(StrEnum):
    DEPARTMENT = "department"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Person(NamedTuple):
    """A person's role and scope: a department code for a department, a 12-digit region code for a
    reviewer, none for an admin."""

    role: Role
    scope: str | None
    subject: str | None = None


class Viewer(Protocol):
    """Anything that may be a person (a caller that is a channel has no role)."""

    @property
    def role(self) -> Role | None: ...

    @property
    def scope(self) -> str | None: ...


def person(role: str, scope: str | None, subject: str | None = None) -> Person:
    """A person from what an identity provider asserts, checked: an unknown role, a department without
    its code or a reviewer whose scope is no region code is not a person we know."""
    try:
        known = Role(role)
    except ValueError:
        raise Unauthenticated("the role must be department, reviewer or admin") from None
    scope = scope or None
    if known is Role.REVIEWER:
        try:
            scope = normalise_region_code(str(scope))
        except InvalidRegionCode:
            raise Unauthenticated("a reviewer's scope is a region code (6, 9 or 12 digits)") from None
    elif known is Role.DEPARTMENT:
        try:
            scope = normalise_code(SubjectKind.DEPARTMENT, str(scope or ""))
        except ValidationFailed:
            raise Unauthenticated("a department's scope is its department code") from None
    elif known is Role.ADMIN:
        scope = None
    return Person(known, scope, subject)


def may_see(viewer: Viewer, paths: tuple[str, ...]) -> bool:
    """Whether `viewer` may see something that counts for the subjects `paths` (keys kind#code)."""
    if viewer.role is Role.ADMIN:
        return True
    if viewer.role is Role.DEPARTMENT:
        return SubjectRef(SubjectKind.DEPARTMENT, viewer.scope or "").key in paths
    if viewer.role is Role.REVIEWER and viewer.scope:
        scope = viewer.scope
        regions = (SubjectRef.from_key(k).code for k in paths if k.startswith("region#"))
        return any(is_within(code, scope) for code in regions)
    return False


def require_may_see(viewer: Viewer, paths: tuple[str, ...], what: str) -> None:
    """Something outside the viewer's scope is answered as if it did not exist (404, the same message
    as a missing one), so that nobody learns which ids exist outside their scope."""
    if not may_see(viewer, paths):
        raise NotFound(f"no such {what} in your scope")
