"""Fixes to the embedded AWS that keep a long-running local stack fast, small and idle. None changes
what any request answers; tests/integration/test_emulator.py holds them to that.

1. moto's TransactWriteItems deep-copies every table it touches before it starts, to roll back on
   failure. A case rating is a transaction over the ratings and cases tables, so each one copied all
   ratings and all stream records: time and memory grew with the table, and a demo slowed to a crawl.
   Here a transaction snapshots only the items it names and the length of each table's stream, and
   restores exactly those when it is cancelled.
2. moto keeps a reference to every model object it ever creates, for its dashboard; the copies above
   included. `forget_tracked_models` drops those references (the data stays where it is).
3. Query reads one partition. moto's Table.query gathers *every* item of the table (`all_items`, which
   also sorts them all) and only then keeps those of the asked partition key, so each Query costs
   O(table · log table): the public summary, dozens of counter Queries, took seconds once a day of
   ratings was counted. Here a Query on the table reads its partition alone (moto sorts it by the
   range key afterwards, as before), and a Query on an index reads the items whose index key has the
   asked value, from a map of the table by that attribute built on the index's first Query after a
   write to the table (moto still checks and sorts them itself): a directory listing by parent among
   600,000 entries reads its hundred children, not the table.
4. Wake-ups (`ACTIVITY`): a record appended to a stream or a message added to a queue wakes the
   pollers of that stream or queue at once, and a queue message that becomes visible again (its
   visibility timeout or delay over) wakes them when it does; so pollers can sleep long while nothing
   happens (an idle `make run` then costs next to no CPU) and still deliver within milliseconds."""

from __future__ import annotations

import contextlib
import copy
import heapq
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

_state = threading.local()
_installed = False
# moto's own Table.all_items (every item of the table, sorted), kept by install().
_moto_all_items: Any = None
_maps_lock = threading.Lock()


class Activity:
    """Who to wake when the embedded AWS is written to. A poller registers an Event for the ARN of
    its stream or queue (or for ANY, which every notification sets); the emulation sets them."""

    ANY = "*"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[threading.Event]] = defaultdict(set)
        self._timers: list[tuple[float, str]] = []
        self._timer_due = threading.Condition(self._lock)
        self._timer_thread: threading.Thread | None = None

    def listen(self, resource: str, event: threading.Event) -> None:
        with self._lock:
            self._listeners[resource].add(event)

    def forget(self, resource: str, event: threading.Event) -> None:
        with self._lock:
            self._listeners[resource].discard(event)

    def notify(self, resource: str = ANY) -> None:
        """Something was written to `resource` (ANY: something happened, nothing in particular)."""
        with self._lock:
            targets = set(self._listeners.get(resource, ())) | set(self._listeners.get(self.ANY, ()))
        for event in targets:
            event.set()

    def notify_at(self, resource: str, when: float) -> None:
        """Notify `resource` at `when` (time.time() seconds): what becomes visible by waiting."""
        with self._lock:
            if (when, resource) in self._timers:
                return
            heapq.heappush(self._timers, (when, resource))
            if self._timer_thread is None:
                self._timer_thread = threading.Thread(
                    target=self._run_timers, name="emulator-wake-timers", daemon=True
                )
                self._timer_thread.start()
            self._timer_due.notify()

    def _run_timers(self) -> None:
        while True:
            with self._lock:
                while not self._timers or self._timers[0][0] > time.time():
                    self._timer_due.wait(self._timers[0][0] - time.time() if self._timers else None)
                _, resource = heapq.heappop(self._timers)
            self.notify(resource)


ACTIVITY = Activity()


def stream_arn(table: Any) -> str:
    """The ARN DescribeTable answers as LatestStreamArn, from moto's table model."""
    return f"{table.table_arn}/stream/{table.latest_stream_label}"


def install() -> None:
    """Idempotent; affects only the process it runs in."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard, Table
    from moto.sqs.models import Queue, SQSBackend

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshot = _snapshot(self, transact_items)
        _state.sharing_tables = True
        try:
            original(self, transact_items)
        except Exception:
            _restore(self, snapshot)
            raise
        finally:
            _state.sharing_tables = False

    def table_deepcopy(table: Any, memo: dict[int, Any]) -> Any:
        if getattr(_state, "sharing_tables", False):
            return table  # the transaction's rollback copy: _snapshot keeps what it needs instead
        reducer = table.__reduce_ex__(4)
        return copy._reconstruct(table, memo, *reducer)  # type: ignore[attr-defined]  # the default

    shard_add = StreamShard.add

    def add_and_wake(self: Any, old: Any, new: Any) -> None:
        shard_add(self, old, new)
        ACTIVITY.notify(stream_arn(self.table))

    query = Table.query

    def query_one_partition(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs["index_name"] if "index_name" in kwargs else (args[6] if len(args) > 6 else None)
        _state.query = (self, hash_key, index_name, kwargs.get("hash_key_conditions") or [])
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _state.query = None

    global _moto_all_items
    _moto_all_items = Table.all_items

    def items_for_query(self: Any) -> list[Any]:
        asked = getattr(_state, "query", None)
        if asked is None or asked[0] is not self or getattr(_state, "moto_walks", False):
            return _moto_all_items(self)
        _, hash_key, index_name, hash_conditions = asked
        if index_name is None:
            return _items_of(self, hash_key)
        return _items_of_index(self, index_name, hash_conditions)

    table_put, table_delete = Table.put_item, Table.delete_item
    backend_update = DynamoDBBackend.update_item

    def put_and_count(self: Any, *args: Any, **kwargs: Any) -> Any:
        _written(self)
        return table_put(self, *args, **kwargs)

    def delete_and_count(self: Any, *args: Any, **kwargs: Any) -> Any:
        _written(self)
        return table_delete(self, *args, **kwargs)

    def update_and_count(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return backend_update(self, table_name, *args, **kwargs)
        finally:
            _written(self.get_table(table_name))  # moto updates the item in place

    queue_add = Queue.add_message

    def add_message_and_wake(self: Any, message: Any) -> None:
        queue_add(self, message)
        ACTIVITY.notify(self.queue_arn)
        _wake_when_visible(self)

    receive = SQSBackend.receive_message

    def receive_and_wake_later(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        received = receive(self, queue_name, *args, **kwargs)
        _wake_when_visible(self.get_queue(queue_name))
        return received

    change_visibility = SQSBackend.change_message_visibility

    def change_visibility_and_wake_later(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        changed = change_visibility(self, queue_name, *args, **kwargs)
        _wake_when_visible(self.get_queue(queue_name))
        return changed

    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = table_deepcopy
    StreamShard.add = add_and_wake
    Table.query = query_one_partition
    Table.all_items = items_for_query
    Table.put_item = put_and_count
    Table.delete_item = delete_and_count
    DynamoDBBackend.update_item = update_and_count
    Queue.add_message = add_message_and_wake
    SQSBackend.receive_message = receive_and_wake_later
    SQSBackend.change_message_visibility = change_visibility_and_wake_later
    _installed = True


def _written(table: Any) -> None:
    """Every write to a table makes the maps of its indices stale."""
    table.__dict__["_local_version"] = table.__dict__.get("_local_version", 0) + 1


def _every_item(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


def _items_of_index(table: Any, index_name: str, hash_conditions: list[tuple[str, Any]]) -> list[Any]:
    """The items whose index partition key has the asked value; every item (unsorted) when the Query
    names no such value (moto's own checks then decide, as they would)."""
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    hash_attrs = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"] if index else []
    asked = dict(hash_conditions)
    if not hash_attrs or hash_attrs[0] not in asked:
        return _every_item(table)
    attribute = hash_attrs[0]
    with _maps_lock:
        version = table.__dict__.get("_local_version", 0)
        maps = table.__dict__.setdefault("_local_index_maps", {})
        built_at, by_value = maps.get(attribute, (None, None))
        if built_at != version or by_value is None:
            by_value = defaultdict(list)
            for item in _every_item(table):
                value = item.attrs.get(attribute)
                if value is not None:
                    by_value[value].append(item)
            # Stamped with the version it was built from: a write meanwhile makes the next Query rebuild.
            maps[attribute] = (version, by_value)
    return list(by_value.get(asked[attribute], ()))


def _items_of(table: Any, hash_key: Any) -> list[Any]:
    """The items a table Query needs: the partition of `hash_key`."""
    if hash_key is None:
        return _every_item(table)
    partition = table.items.get(hash_key)
    if partition is None:
        return []
    return list(partition.values()) if table.range_key_attr else [partition]


@contextlib.contextmanager
def moto_query_walks() -> Iterator[None]:
    """Within this block (this thread), Queries walk the whole table as moto's own code does: what
    tests.bench.moto_query compares against."""
    _state.moto_walks = True
    try:
        yield
    finally:
        _state.moto_walks = False


def wakes_installed() -> bool:
    """Whether writes to the embedded AWS wake pollers (install() ran in this process)."""
    return _installed


def _wake_when_visible(queue: Any) -> None:
    """Schedule a wake-up for the queue's next message that is hidden now (received and not deleted,
    or delayed) and will be visible later."""
    now_ms = time.time() * 1000
    hidden = [
        at
        for message in list(queue._messages)
        if (at := max(message.visible_at, message.delayed_until)) > now_ms
    ]
    if hidden:
        # moto compares in whole milliseconds, strictly: a hair later it is surely visible.
        ACTIVITY.notify_at(queue.queue_arn, min(hidden) / 1000 + 0.005)


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any, int]]:
    """(table, hash key, range key, item copy or None, stream length) for each item the transaction names."""
    taken = []
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            table = backend.get_table(op["TableName"])
            raw_key = op.get("Key") or {
                name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name
            }
            hash_key, range_key = backend.get_keys_value(table, raw_key)
        except Exception:
            continue  # a malformed entry: moto refuses it before writing anything for it
        item = table.get_item(hash_key, range_key)
        stream = len(table.stream_shard.items) if table.stream_shard is not None else 0
        taken.append((table, hash_key, range_key, copy.deepcopy(item), stream))
    return taken


def _restore(backend: Any, snapshot: list[tuple[Any, Any, Any, Any, int]]) -> None:
    for table, hash_key, range_key, item, stream in snapshot:
        if range_key is not None:
            if item is None:
                table.items.get(hash_key, {}).pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        elif item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        _written(table)
        if table.stream_shard is not None:
            del table.stream_shard.items[stream:]


def forget_tracked_models() -> None:
    from moto.core.model_instances import reset_model_data

    reset_model_data()
