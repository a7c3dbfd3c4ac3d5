"""Two fixes to the embedded DynamoDB that keep a long-running local stack fast and small. Neither
changes what any request answers; tests/integration/test_emulator.py holds them to that.

1. moto's TransactWriteItems deep-copies every table it touches before it starts, to roll back on
   failure. A case rating is a transaction over the ratings and cases tables, so each one copied all
   ratings and all stream records: time and memory grew with the table, and a demo slowed to a crawl.
   Here a transaction snapshots only the items it names and the length of each table's stream, and
   restores exactly those when it is cancelled.
2. moto keeps a reference to every model object it ever creates, for its dashboard; the copies above
   included. `forget_tracked_models` drops those references (the data stays where it is)."""

from __future__ import annotations

import copy
import threading
from typing import Any

_state = threading.local()
_installed = False


def install() -> None:
    """Idempotent; affects only the process it runs in."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

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

    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = table_deepcopy
    _installed = True


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
        if table.stream_shard is not None:
            del table.stream_shard.items[stream:]


def forget_tracked_models() -> None:
    from moto.core.model_instances import reset_model_data

    reset_model_data()
