"""DynamoDB requests and write request units per accepted rating, and what they cost on demand.

Every call the rate function makes is counted through botocore's events on its client. Write units
are computed from the exact items the code sends (the Item of the PutItem or of the transaction's Put,
which is rating_to_item's output, and the case item the transaction's Update leaves behind) with
DynamoDB's item-size rules, because moto's ConsumedCapacity is not a measurement: it answers a
constant for PutItem and nothing for TransactWriteItems (both printed next to ours).

Run alone: .venv/bin/python -m tests.bench.dynamodb_cost"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from functions.core.storage.ratings import rating_to_item
from tests.bench.figures import heading, line, note
from tests.bench.harness import CallRecorder, DynamoCall, InProcessStack, in_process_stack
from tests.bench.workload import RatingMix, demo_subjects, long_comment, province

# us-east-1 on-demand list prices (DESIGN.md, cost model).
DOLLARS_PER_MILLION_WRITE_UNITS = 0.625
DOLLARS_PER_MILLION_READ_UNITS = 0.125
REPEATS = 5  # ratings per kind in steady state; every one should cost the same
MIX_RATINGS = 150  # ratings of the benchmark mix through one execution environment, from cold


# --- DynamoDB's item-size rules ------------------------------------------------------------------
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
# An item's size is the sum of its attribute names' UTF-8 lengths and its values' sizes.


def number_size(text: str) -> int:
    """About one byte per two significant digits, plus one; leading and trailing zeros are trimmed."""
    mantissa = text.lstrip("+-").upper().split("E")[0]
    significant = mantissa.replace(".", "").strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1 + (1 if text.startswith("-") else 0)


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "N":
        return number_size(content)
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in content)
    if kind == "NS":
        return sum(number_size(n) for n in content)
    if kind == "BS":
        return sum(len(b) for b in content)
    # Lists and maps: 3 bytes whatever they hold, and 1 more per element (a map's keys are names).
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(v) for name, v in content.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """Standard writes cost one unit per started kilobyte; transactional ones twice that."""
    return max(1, math.ceil(size / 1024))


def read_units(size: int) -> float:
    """An eventually consistent read (BatchGetItem's default): half a unit per started 4 KB."""
    return 0.5 * max(1, math.ceil(size / 4096))


# --- What one accepted rating cost ---------------------------------------------------------------


@dataclass(frozen=True)
class RatingCost:
    operations: Counter[str]  # API calls while accepting it
    rating_item: int  # bytes
    case_item: int | None  # bytes, when the write also claimed a case
    write_units: int
    moto_consumed: list[dict[str, Any]]  # what moto answered to ReturnConsumedCapacity=TOTAL
    directory_reads: list[int]  # sizes of the directory items a cold cache had to read
    item_as_stored: bool  # the Item sent is rating_to_item of the stored rating


def measure(stack: InProcessStack, recorder: CallRecorder, body: Mapping[str, Any]) -> RatingCost:
    recorder.take()
    status, answer = stack.post_rating(body)
    if status != 201:
        raise RuntimeError(f"rating refused: {status} {answer}")
    calls = recorder.take()
    write = next(c for c in calls if c.operation in ("PutItem", "TransactWriteItems"))
    rating_item, case_key = _written(write)
    rating_size = item_size(rating_item)
    case_size = None
    if case_key is None:
        units = write_units(rating_size)
    else:
        # The Update creates the case item (the SMS issue will write cases before they are rated); it
        # is billed on the larger of the item before and after, which is the one it leaves.
        stored = stack.client.get_item(TableName=stack.settings.cases_table, Key=case_key)["Item"]
        case_size = item_size(stored)
        units = 2 * (write_units(rating_size) + write_units(case_size))
    stored_rating = stack.runtime.ratings_store.get(answer["rating_id"])
    recorder.take()  # the two reads above are the benchmark's, not the function's
    return RatingCost(
        operations=Counter(c.operation for c in calls),
        rating_item=rating_size,
        case_item=case_size,
        write_units=units,
        moto_consumed=_consumed(write.answer),
        directory_reads=[
            item_size(item)
            for c in calls
            if c.operation == "BatchGetItem"
            for items in c.answer["Responses"].values()
            for item in items
        ],
        item_as_stored=stored_rating is not None and rating_to_item(stored_rating) == rating_item,
    )


def _consumed(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """What moto answered to ReturnConsumedCapacity=TOTAL: one entry for PutItem, a list for a
    transaction."""
    consumed = answer.get("ConsumedCapacity", [])
    return [consumed] if isinstance(consumed, dict) else list(consumed)


def _written(call: DynamoCall) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The rating item a write sent, and the key of the case it claimed (None for a PutItem)."""
    if call.operation == "PutItem":
        return call.params["Item"], None
    actions = call.params["TransactItems"]
    rating = next(a["Put"]["Item"] for a in actions if "Put" in a)
    case_key = next(a["Update"]["Key"] for a in actions if "Update" in a)
    return rating, case_key


# --- The benchmark -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    label: str
    case_no: bool
    full: bool  # a bad rating with two tags, a 500-character comment and a named rater


KINDS = (
    Kind("no case_no, anonymous, no comment", case_no=False, full=False),
    Kind("no case_no, named, 500-char comment", case_no=False, full=True),
    Kind("case_no, anonymous, no comment", case_no=True, full=False),
    Kind("case_no, named, 500-char comment", case_no=True, full=True),
)


def body_for(kind: Kind, subjects: Mapping[str, str], case_no: str) -> dict[str, Any]:
    body: dict[str, Any] = {"channel": "hall_pad", "satisfaction": 5, "subjects": dict(subjects)}
    if kind.case_no:
        body["case_no"] = case_no
    if kind.full:
        body.update(
            satisfaction=1,
            tags=list(province().tags.bad[:2]),
            comment=long_comment(),
            rater={"phone": "13900001111", "name": "张三丰"},
        )
    return body


def main() -> None:
    heading("2. DynamoDB requests and write units per accepted rating")
    subjects = demo_subjects()
    # The deepest window and staff member: the longest paths, so the largest item a hall rating makes.
    deepest = subjects.deepest_window_staff()
    with in_process_stack() as stack:
        recorder = CallRecorder(stack.client)
        run = RatingMix(subjects, province()).run
        serial = itertools.count()

        def next_case() -> str:
            return f"COST{run}-{next(serial):05d}"

        # Cold: a new execution environment, whose directory cache is empty.
        stack.new_execution_environment()
        cold = measure(stack, recorder, body_for(KINDS[0], deepest, next_case()))
        # Steady state: the same subjects again, now cached.
        steady = {
            kind: [measure(stack, recorder, body_for(kind, deepest, next_case())) for _ in range(REPEATS)]
            for kind in KINDS
        }
        # The benchmark mix (varied subjects), from cold: how often a warm instance still reads.
        stack.new_execution_environment()
        mix = [
            measure(stack, recorder, body)
            for body in itertools.islice(RatingMix(subjects, province()), MIX_RATINGS)
        ]
    report(deepest, subjects.depth[deepest["staff"]], cold, steady, mix)


def report(
    subjects: Mapping[str, str],
    ancestors: int,
    cold: RatingCost,
    steady: Mapping[Kind, list[RatingCost]],
    mix: list[RatingCost],
) -> None:
    line(
        "subjects",
        ", ".join(f"{k} {v}" for k, v in subjects.items()),
        note=f"the staff member has {ancestors} ancestors: the longest paths",
    )
    print(
        f"  {'kind (steady state, ' + str(REPEATS) + ' each)':<40} {'requests/rating':<28} "
        f"{'rating item':>11} {'case item':>9} {'WRU':>4} {'moto ConsumedCapacity':<22} {'$/M ratings':>11}"
    )
    for kind, costs in steady.items():
        cost = costs[-1]
        if len({(c.write_units, tuple(sorted(c.operations.items()))) for c in costs}) > 1:
            note(f"{kind.label}: the {REPEATS} ratings did not all cost the same")
        requests = sum(cost.operations.values())
        calls = " + ".join(f"{n} {op}" for op, n in sorted(cost.operations.items()))
        print(
            f"  {kind.label:<40} {f'{requests} ({calls})':<28} {cost.rating_item:>9} B "
            f"{f'{cost.case_item} B' if cost.case_item else '-':>9} {cost.write_units:>4} "
            f"{_moto(cost.moto_consumed):<22} {cost.write_units * DOLLARS_PER_MILLION_WRITE_UNITS:>11.3f}"
        )
    cold_reads = cold.operations["BatchGetItem"]
    cold_units = sum(read_units(size) for size in cold.directory_reads)
    line(
        "cold cache, extra reads",
        f"{cold_reads} BatchGetItem for {len(cold.directory_reads)} directory items "
        f"({sum(cold.directory_reads)} B), {cold_units:.1f} RRU",
        note=f"${cold_units * DOLLARS_PER_MILLION_READ_UNITS:.3f} per million such ratings",
    )
    line("cold cache, requests for that rating", sum(cold.operations.values()), note=_calls(cold.operations))
    operations = sum((c.operations for c in mix), Counter())
    requests = sum(operations.values())
    units = sum(c.write_units for c in mix)
    line(
        f"benchmark mix from cold ({len(mix)} ratings)",
        f"{requests / len(mix):.2f} requests/rating",
        note=_calls(operations),
    )
    reads = sum(read_units(size) for c in mix for size in c.directory_reads)
    line(
        "  mix write units",
        f"{units / len(mix):.2f} WRU/rating",
        note=f"${units / len(mix) * DOLLARS_PER_MILLION_WRITE_UNITS:.3f} per million ratings",
    )
    line(
        "  mix directory reads",
        f"{reads / len(mix):.2f} RRU/rating",
        note=f"${reads / len(mix) * DOLLARS_PER_MILLION_READ_UNITS:.3f} per million ratings; "
        "each new subject is read once per execution environment and TTL",
    )
    if all(c.item_as_stored for c in [cold, *mix, *(c for costs in steady.values() for c in costs)]):
        note("every Item sent equals rating_to_item() of the rating as stored")
    else:
        note("SOME Item sent differs from rating_to_item() of the rating as stored")
    note(
        "WRU: 1 per started KB per item; TransactWriteItems 2x per item (rating + case claim). The "
        "cases item is billed at its size after the Update (it did not exist before)."
    )
    note(
        "moto's ConsumedCapacity is a constant for PutItem and empty for TransactWriteItems: "
        "it cannot stand in for the computed figure."
    )


def _moto(consumed: list[dict[str, Any]]) -> str:
    if not consumed:
        return "[] (none)"
    return ", ".join(str(c.get("CapacityUnits")) for c in consumed)


def _calls(operations: Counter[str]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(operations.items()))


if __name__ == "__main__":
    main()
