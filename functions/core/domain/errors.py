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
    code = "unsupported_media_type"


class TooLarge(DomainError):
    code = "too_large"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The same idempotency key came back with another body, or an entry clashes with one stored."""

    code = "conflict"


class CaseAlreadyRated(DomainError):
    code = "case_already_rated"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class UnknownSubject(DomainError):
    """A subject code that the directory does not know, lies outside the province, or contradicts the
    directory (a window of another department)."""

    code = "unknown_subject"

    def __init__(self, message: str, subjects: Mapping[str, str] | None = None) -> None:
        super().__init__(message, subjects=dict(subjects or {}))


class Throttled(DomainError):
    code = "throttled"
