"""The ratings stream's mappings as deployed: the indices batch with a window, the tickets consumer is
invoked only for what it acts on."""

from __future__ import annotations

import json

from infra import topology


def _mapping(template, function_name: str) -> dict:
    functions = template.find_resources("AWS::Lambda::Function")
    (logical_id,) = [i for i, f in functions.items() if f["Properties"]["FunctionName"] == function_name]
    (mapping,) = [
        m["Properties"]
        for m in template.find_resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": logical_id}
        and "ratings" in json.dumps(m["Properties"]["EventSourceArn"]).lower()
    ]
    return mapping


def test_the_index_mapping_waits_for_its_window_and_the_tickets_mapping_filters(template, china) -> None:
    for deployed, prefix in ((template, "haochaping-guizhou"), (china, "haochaping-ningxia")):
        index = _mapping(deployed, f"{prefix}-index-events")
        assert index["MaximumBatchingWindowInSeconds"] == topology.INDEX_BATCHING_WINDOW_SECONDS
        assert index["BatchSize"] == topology.INDEX_BATCH_SIZE
        assert "FilterCriteria" not in index
        tickets = _mapping(deployed, f"{prefix}-tickets-events")
        (criterion,) = tickets["FilterCriteria"]["Filters"]
        assert json.loads(criterion["Pattern"]) == topology.BAD_RATING_INSERTS
        assert "MaximumBatchingWindowInSeconds" not in tickets
