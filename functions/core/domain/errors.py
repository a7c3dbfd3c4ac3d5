"""Domain errors. Each names what went wrong in the domain's words; one place (core.http.errors) turns
them into HTTP answers, so no status is ever chosen by matching text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base of every error a caller can cause. `code` is the contract's error code."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError):
    """The request is malformed; `fields` says which field and why."""

    code = "validation"

    def __init__(self, fields: Mapping[str, str], message: str | None = None) -> None:
        self.fields = dict(fields)
        summary = "; ".join(f"{name}: {why}" for name, why in sorted(self.fields.items()))
        super().__init__(message or f"invalid request: {summary}", fields=self.fields)


class UnsupportedMediaType(DomainError):
    """The body is not in a content type the endpoint takes."""

    code = "unsupported_media_type"


class TooLarge(DomainError):
    """The body is over the endpoint's limit."""

    code = "too_large"


class Unauthenticated(DomainError):
    """No credential, or a wrong key or token."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """Authenticated, but not allowed (role or scope)."""

    code = "forbidden"


class NotFound(DomainError):
    """No such resource."""

    code = "not_found"


class Conflict(DomainError):
    """The same idempotency key came back with another body, or an entry clashes with one stored."""

    code = "conflict"


class CaseAlreadyRated(DomainError):
    """The case number has been rated already (one rating per case)."""

    code = "case_already_rated"


class RatingPeriodOver(DomainError):
    """The case's rating period (after its completion), or the follow-up period (after its rating), is
    over: province policy (ProvinceConfig.ratings)."""

    code = "rating_period_over"


class IllegalTransition(DomainError):
    """The action is not allowed in the resource's current state."""

    code = "illegal_transition"


class UnknownSubject(DomainError):
    """A subject code that the directory does not know, lies outside the province, or contradicts the
    directory (a window of another department)."""

    code = "unknown_subject"

    def __init__(self, message: str, subjects: Mapping[str, str] | None = None) -> None:
        super().__init__(message, subjects=dict(subjects or {}))


class Throttled(DomainError):
    """The store is busy: retry after Retry-After seconds (with the same rating_id)."""

    code = "throttled"


class InvalidLink(DomainError):
    """A QR code's or signed rating link's token that is forged, tampered with, expired or malformed."""

    code = "invalid_link"
