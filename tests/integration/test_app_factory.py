"""Every app made by create_app answers in the contract's shape, whatever its views do."""

from __future__ import annotations

import json
import logging

import pytest
from chalice.test import Client

from infra.topology import routes_of
from tests.sample_function.app import app


def test_a_domain_error_is_answered_with_its_mapped_status() -> None:
    with Client(app) as client:
        answer = client.http.get("/v1/samples/missing")

    assert answer.status_code == 404
    assert json.loads(answer.body) == {"error": "not_found", "message": "no sample missing"}


def test_an_unexpected_fault_is_a_500_internal_without_detail(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR), Client(app) as client:
        answer = client.http.get("/v1/samples/broken")

    body = json.loads(answer.body)
    assert answer.status_code == 500
    assert body["error"] == "internal" and set(body) == {"error", "message"}
    assert "13800000000" not in answer.body.decode() and "RuntimeError" not in answer.body.decode()
    assert "unhandled error" in caplog.text  # logged for the operators, not answered


def test_local_only_routes_are_served_locally_and_never_deployed() -> None:
    deployed = {(r.path, r.method, r.access) for r in routes_of({"sample": app})}
    served = {(r.path, r.method, r.access) for r in routes_of({"sample": app}, include_local=True)}

    assert deployed == {("/v1/samples/{code}", "GET", "public")}
    assert served == deployed | {("/local/samples", "GET", "local")}


def test_an_app_not_made_by_create_app_is_refused() -> None:
    from chalice import Chalice

    plain = Chalice(app_name="plain")
    plain.route("/v1/plain")(lambda: {})

    with pytest.raises(ValueError, match="not made by create_app"):
        routes_of({"plain": plain})
