"""The index function's stream side: ratings-stream batches into the counters, exactly once.

Powertools' batch utility runs the per-record step (what the record changes) and answers the partial
batch response; between the two, the batch's changes are merged per counter item and written, one
conditional UpdateItem per item (functions/index/counters.py says why that is exactly once), and the
shard's progress moves to just before the batch's first failure. Records the progress covers (a
replay) are skipped before anything is written. A record that cannot be counted, or whose counter
item could not be written, is reported as a batch item failure: Lambda retries from it and, after its
retries, hands it to the on-failure queue, while every other record of the batch is counted.

The mapping batches with a window (infra/topology.py: at most `MaximumBatchingWindowInSeconds` from a
rating to its figure, plus the batch's own time), so that a batch merges many ratings' updates of the
same counter items.

The event source mapping has a tumbling window so that Lambda names the shard in the event
(`shardId`); the window's state is not used."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from functions.core.observability import count, logger
from functions.index.aggregation import BatchPlan, record_changes
from functions.index.contribution import PoisonRecord
from functions.index.counters import DynamoCounters


class MissingShard(RuntimeError):
    """The event does not name its shard: the mapping lacks its tumbling window."""


class CountingProcessor(BatchProcessor):
    def __init__(self, counters: DynamoCounters, shard_id: str) -> None:
        super().__init__(EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
        self._counters = counters
        self._shard_id = shard_id
        self.plan = BatchPlan()
        self._by_sequence: dict[str, DynamoDBRecord] = {}
        self._stopped_at: str | None = None

    def take(self, record: DynamoDBRecord) -> None:
        """The per-record step: what the record changes, added to the batch's plan."""
        sequence = str(record.dynamodb.sequence_number) if record.dynamodb else ""
        self._by_sequence[sequence] = record
        if self._stopped_at is not None:
            raise RuntimeError(f"not counted: record {self._stopped_at} before it failed unexpectedly")
        try:
            self.plan.add(sequence, record_changes(record.raw_event))
        except PoisonRecord:
            raise  # the same every time: the rest of the batch goes on
        except Exception:
            # Possibly transient: counting later records now could put their marks past this one and
            # lose it on the retry, so the batch stops here.
            self._stopped_at = sequence
            raise

    def process(self) -> list[tuple]:
        self.plan = BatchPlan(after=self._counters.applied_through(self._shard_id))
        results = super().process()
        items = self.plan.items()
        failures = self._counters.apply(self._shard_id, items)
        failed: dict[str, BaseException] = {}
        for item, error in failures:
            for sequence in item.sources:
                failed.setdefault(sequence, error)
        for sequence, error in failed.items():
            record = self._by_sequence[sequence]
            self.success_messages = [m for m in self.success_messages if m is not record.raw_event]
            self.failure_handler(record, (type(error), error, error.__traceback__))
        through = self._applied_through()
        if through is not None:
            try:
                self._counters.checkpoint(self._shard_id, through)
            except Exception:  # the records are counted; their marks cover a replay until the next one
                logger.warning("shard progress not written", exc_info=True)
        count("CounterItemsWritten", len(items) - len(failures), function="index")
        if failures:
            logger.warning(
                "counter items not written", extra={"items": len(failures), "records": len(failed)}
            )
        return results

    def _applied_through(self) -> str | None:
        """The last record (as delivered) before the batch's first failure: all up to it are counted."""
        failed = {str(m.dynamodb.sequence_number) for m in self.fail_messages if m.dynamodb}
        through = None
        for sequence in self._by_sequence:  # the batch's order, which is the shard's
            if sequence in failed:
                break
            through = sequence
        return through


def handle(event: dict[str, Any], context: Any, counters: DynamoCounters) -> dict[str, Any]:
    shard_id = event.get("shardId")
    if not shard_id:
        raise MissingShard(
            "the ratings stream mapping needs a tumbling window, so that events name their shard"
        )
    processor = CountingProcessor(counters, shard_id)
    response: dict[str, Any] = dict(
        process_partial_response(
            event=event, record_handler=processor.take, processor=processor, context=context
        )
    )
    if "window" in event:
        response["state"] = {}
    return response


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.core.observability import batch_scope
    from functions.index import wiring

    # The batch's log lines carry its correlation id; its metrics are emitted once, per dimension set.
    with batch_scope("index", event, context):
        return handle(event, context, wiring.runtime().counters)
