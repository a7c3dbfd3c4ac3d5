"""The rate function: ratings, the directory and the OpenAPI document, as in API.md.

Each view parses, calls the domain and shapes the answer; nothing else happens on the request path."""

from __future__ import annotations

from chalice import Response

from functions.core.domain.errors import Unauthenticated
from functions.core.domain.ratings import parse_rating_id
from functions.core.http.api import json_response, query_param, read_json, read_text
from functions.core.http.app import Access, create_app
from functions.core.http.auth import (
    Caller,
    Role,
    caller_from_context,
    require_admin,
    require_channel,
    require_person,
)
from functions.core.http.authorizer import bearer_token
from functions.core.observability import count, logger
from functions.rate import answers, wiring

app = create_app("rate")

MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _caller() -> Caller:
    return caller_from_context(app.current_request.context)


@app.route("/v1/ratings", methods=["POST"], access=Access.CHANNEL_OR_DEVICE)
def post_rating() -> Response:
    caller = _caller()
    body = read_json(app.current_request)
    label = caller.channel_label
    if caller.device:
        # A window tablet or kiosk: its credential is checked here, on every rating (revocation is
        # immediate), and its channel, window and department come from the device.
        devices = wiring.runtime().devices
        device = devices.authenticate(bearer_token(app.current_request.headers) or "")
        body, label = devices.device_rating(device, body), f"device:{device.device_id}"
    elif caller.role is not None:
        # A person's token is no credential for submitting (as API Gateway answers a method that wants
        # an API key): 401, as before devices shared the route's bearer header.
        raise Unauthenticated("ratings are submitted with a channel key (x-api-key) or a device's credential")
    else:
        require_channel(caller)
    accepted = wiring.runtime().ratings.accept(body, channel_key=label)
    rating = accepted.rating
    if accepted.created:
        count("RatingAccepted", channel=rating.channel.value, polarity="good" if rating.good else "bad")
        logger.info(
            "rating accepted",
            extra={"rating_id": rating.rating_id, "channel": rating.channel.value, "good": rating.good},
        )
    return json_response(answers.accepted(rating), 201 if accepted.created else 200)


@app.route("/v1/ratings/{rating_id}", methods=["GET"], access=Access.PERSON)
def get_rating(rating_id: str) -> Response:
    caller = _caller()
    require_person(caller)
    rating = wiring.runtime().ratings.get(parse_rating_id(rating_id), caller)
    return json_response(answers.rating(rating, audit=caller.role in (Role.ADMIN, Role.REVIEWER)))


@app.route("/v1/directory/{kind}/{code}", methods=["PUT"], access=Access.PERSON)
def put_directory_entry(kind: str, code: str) -> Response:
    require_admin(_caller())
    body = read_json(app.current_request)
    directory = wiring.runtime().directory
    outcome = directory.put(kind, code, body)
    shown = directory.show(outcome.entry)
    if outcome.job is not None:
        # Moved; its descendants follow in the background.
        job_url = f"/v1/directory/jobs/{outcome.job.job_id}"
        return json_response(answers.moved_entry(shown, outcome.job.job_id), 202, {"Location": job_url})
    return json_response(shown, 201 if outcome.created else 200)


@app.route("/v1/directory/jobs/{job_id}", methods=["GET"], access=Access.PERSON)
def get_directory_job(job_id: str) -> Response:
    require_admin(_caller())
    return json_response(wiring.runtime().directory.job(job_id).as_dict())


@app.route("/v1/directory/{kind}/{code}", methods=["GET"], access=Access.CHANNEL_OR_PERSON)
def get_directory_entry(kind: str, code: str) -> Response:
    _caller()
    directory = wiring.runtime().directory
    return json_response(directory.show(directory.get(kind, code)))


@app.route("/v1/directory/{kind}", methods=["GET"], access=Access.CHANNEL_OR_PERSON)
def list_directory(kind: str) -> Response:
    _caller()
    directory = wiring.runtime().directory
    parent, entries = directory.children(kind, query_param(app.current_request, "parent"))
    return json_response(answers.directory_listing(kind, directory.show(parent) if parent else None, entries))


@app.route("/v1/directory/import", methods=["POST"], access=Access.PERSON)
def import_directory() -> Response:
    require_admin(_caller())
    text = read_text(app.current_request, ("text/csv", "text/plain"), MAX_IMPORT_BYTES)
    result = wiring.runtime().directory.import_csv(text)
    return json_response(answers.import_result(result))


@app.route("/v1/openapi.json", methods=["GET"], access=Access.PUBLIC)
def openapi() -> Response:
    from functions.core.http.openapi import document

    return json_response(document())
