"""How topology names (kebab-case logical names) become construct ids, environment variables and ASL
placeholders, in one place so the functions, the local stack and the ASL agree."""

from __future__ import annotations


def camel(name: str) -> str:
    """ticket-events → TicketEvents"""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-") if part)


def construct_id(name: str, kind: str) -> str:
    return camel(name) + kind


def env_name(name: str, suffix: str) -> str:
    """ticket-events, TOPIC_ARN → TICKET_EVENTS_TOPIC_ARN"""
    return f"{name.upper().replace('-', '_')}_{suffix}"


def handler_path(reference: str) -> str:
    """The topology's "module:attribute" as Lambda's handler string "module.attribute"."""
    module, _, attribute = reference.partition(":")
    return f"{module}.{attribute}"
