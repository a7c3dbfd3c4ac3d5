"""Logging and metrics, one place for each. Log lines carry ids and codes, never personal data;
metric dimensions are low-cardinality only (service, channel, polarity), never a subject code."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="haochaping")
metrics = Metrics(namespace="Haochaping")


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Adds to a metric flushed at the end of the request (one EMF line per request)."""
    for key, dim in dimensions.items():
        metrics.add_dimension(name=key, value=dim)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def start_request(service: str, request_context: dict[str, Any]) -> None:
    logger.append_keys(function=service)
    logger.set_correlation_id(request_context.get("requestId"))


def end_request() -> None:
    if metrics.metric_set:
        metrics.flush_metrics()
    # flush clears only when metrics are enabled; a request's dimensions must never reach the next one
    metrics.clear_metrics()
    logger.set_correlation_id(None)
