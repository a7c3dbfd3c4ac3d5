"""Logging and metrics, one place for each, for HTTP requests and for batches alike.

Log lines carry ids and codes, never personal data (no event or body is ever logged), and the
correlation id of what is being handled: the API request id for a request, the Lambda request id for
a batch of stream or queue records. Metric dimensions are low-cardinality only (service, channel,
polarity), never a subject code.

Metrics are counted within a scope (a request, a batch) and emitted when it ends, one EMF line per
distinct set of dimensions: a batch holding ratings of two channels emits each channel's count under
its own dimensions, never one channel's count under the other's."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="haochaping")
metrics = Metrics(namespace="Haochaping")

Dimensions = tuple[tuple[str, str], ...]

# Counts of the scope in progress: (metric name, dimensions) → total. One scope at a time per process,
# as Lambda runs one invocation at a time per execution environment.
_counts: Counter[tuple[str, Dimensions]] = Counter()
_lock = threading.Lock()
_in_scope = threading.Event()


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Adds to a count emitted when the request or batch ends, under exactly these dimensions; outside
    any scope (a handler that opened none), emitted at once rather than kept for a later request."""
    with _lock:
        _counts[(name, tuple(sorted(dimensions.items())))] += value
    if not _in_scope.is_set():
        flush()


def flush() -> None:
    """Emit what was counted, one EMF line per distinct set of dimensions, and forget it."""
    with _lock:
        counted = dict(_counts)
        _counts.clear()
    by_dimensions: dict[Dimensions, dict[str, float]] = {}
    for (name, dimensions), total in counted.items():
        by_dimensions.setdefault(dimensions, {})[name] = total
    for dimensions, totals in by_dimensions.items():
        for key, value in dimensions:
            metrics.add_dimension(name=key, value=value)
        for name, total in totals.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=total)
        metrics.flush_metrics()
        # flush clears only when metrics are enabled; no dimension may reach the next line
        metrics.clear_metrics()


def start_request(service: str, request_context: Mapping[str, Any]) -> None:
    _in_scope.set()
    logger.append_keys(function=service)
    logger.set_correlation_id(request_context.get("requestId"))


def end_request() -> None:
    _in_scope.clear()
    flush()
    logger.set_correlation_id(None)


@contextmanager
def batch_scope(function: str, event: Mapping[str, Any], context: Any) -> Iterator[None]:
    """What a stream or queue consumer wraps its batch in: log lines carry the function, the Lambda
    request id as correlation id and the batch's size (never a record's content); what the batch counts
    is emitted once at its end, per set of dimensions.

        def handler(event, context):
            with batch_scope("index", event, context):
                return process_partial_response(event, record_handler, processor, context)
    """
    start_request(function, {"requestId": getattr(context, "aws_request_id", None)})
    logger.append_keys(batch_size=len(event.get("Records") or ()))
    try:
        yield
    finally:
        logger.remove_keys(["batch_size"])
        end_request()


def consume_batch(
    function: str,
    event: dict[str, Any],
    context: Any,
    record_handler: Callable[[Any], None],
    source: Literal["sqs", "dynamodb-stream"],
) -> dict[str, Any]:
    """Every plain stream or queue consumer: one record at a time through Powertools' batch processor
    (failures reported per record, the rest of the batch goes on), inside the batch's observability
    scope. Consumers with a processor of their own (the indices' counting) use batch_scope directly."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    event_type = EventType.SQS if source == "sqs" else EventType.DynamoDBStreams
    with batch_scope(function, event, context):
        return dict(
            process_partial_response(
                event=event,
                record_handler=record_handler,
                processor=BatchProcessor(event_type),
                context=context,
            )
        )


@contextmanager
def record_scope(record_id: str) -> Iterator[None]:
    """Log lines about one record name it (a sequence number or message id: never its content)."""
    logger.append_keys(record=record_id)
    try:
        yield
    finally:
        logger.remove_keys(["record"])
