"""A new function is its folder plus entries in infra/topology.py: the local stack serves its routes
and feeds its stream consumer without anything else naming it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from infra import topology
from infra.local import stack as local_stack
from tests.sample_function import app as sample

pytestmark = pytest.mark.e2e


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_a_new_function_needs_only_its_folder_and_topology_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the sample function declared in the topology, its app and a ratings-stream consumer
    monkeypatch.setattr(
        topology,
        "HTTP_FUNCTIONS",
        (*topology.HTTP_FUNCTIONS, topology.HttpFunction("sample", "tests.sample_function.app:app")),
    )
    monkeypatch.setattr(
        topology,
        "EVENT_SOURCES",
        (
            *topology.EVENT_SOURCES,
            topology.EventSource("sample", "tests.sample_function.app:handler", "dynamodb-stream", "ratings"),
        ),
    )
    sample.SEEN_RATINGS.clear()

    # When the local stack starts
    stack = local_stack.start(port=0)
    try:
        # Then its routes are deployed (but not the local-only one) and served, with the contract's errors
        deployed = {(r.function, r.path) for r in topology.routes()}
        assert ("sample", "/v1/samples/{code}") in deployed
        assert ("sample", "/local/samples") not in deployed
        assert get(f"{stack.url}/v1/samples/s1") == (200, {"code": "s1"})
        assert get(f"{stack.url}/local/samples") == (200, {"local": True})
        assert get(f"{stack.url}/v1/samples/missing")[0] == 404
        status, body = get(f"{stack.url}/v1/samples/broken")
        assert status == 500 and body["error"] == "internal" and "13800000000" not in json.dumps(body)

        # And its consumer gets the ratings stream
        request = urllib.request.Request(
            f"{stack.url}/v1/ratings",
            data=json.dumps(
                {
                    "rating_id": "sample-fn-0001",
                    "channel": "hall_pad",
                    "satisfaction": 5,
                    "subjects": {"department": "D52010201"},
                }
            ).encode(),
            headers={"x-api-key": "local-demo-key", "content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201
        deadline = time.monotonic() + 15
        while "sample-fn-0001" not in sample.SEEN_RATINGS and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "sample-fn-0001" in sample.SEEN_RATINGS
    finally:
        stack.stop()
