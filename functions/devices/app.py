"""The devices function: rating devices (enrol, pair, list, staff, revoke, the device's profile), QR
codes and signed links (`GET /v1/qrcodes/...`, `POST /v1/qr-ratings`), and the rating screens
(`/terminal` for tablets and kiosks, `/rate` for a phone), as in API.md "Devices and QR codes".

Each view parses, calls the services (functions.core.services.devices and .ratings) and answers."""

from __future__ import annotations

import json
import secrets
from typing import Any

from chalice import Response

from functions.core.domain.devices import BROWSER_ID
from functions.core.domain.errors import InvalidLink, ValidationFailed
from functions.core.http.api import json_response, query_param, read_json
from functions.core.http.app import Access, create_app
from functions.core.http.auth import Caller, caller_from_context, require_person
from functions.core.http.authorizer import bearer_token
from functions.core.observability import count, logger
from functions.devices import pages, qrcodes, wiring
from functions.rate import answers

app = create_app("devices")

BROWSER_COOKIE = "hcp_b"
BROWSER_COOKIE_DAYS = 400


def _caller() -> Caller:
    return caller_from_context(app.current_request.context)


def _person() -> Caller:
    caller = _caller()
    require_person(caller)
    return caller


@app.route("/v1/devices", methods=["POST"], access=Access.PERSON)
def enrol_device() -> Response:
    device, code, expires = wiring.runtime().devices.enrol(_person(), read_json(app.current_request))
    count("DeviceEnrolled", channel=device.channel.value)
    logger.info("device enrolled", extra={"device_id": device.device_id, "window": device.window})
    answer = {"device_id": device.device_id, "pairing_code": code, "expires_at": expires.isoformat()}
    return json_response(answer, 201)


@app.route("/v1/devices/pair", methods=["POST"], access=Access.PUBLIC)
def pair_device() -> Response:
    device, token = wiring.runtime().devices.pair(read_json(app.current_request))
    logger.info("device paired", extra={"device_id": device.device_id})
    return json_response({"device_id": device.device_id, "device_token": token, "window": device.window})


@app.route("/v1/devices", methods=["GET"], access=Access.PERSON)
def list_devices() -> Response:
    devices = wiring.runtime().devices.list(_person(), query_param(app.current_request, "department"))
    return json_response({"devices": [d.public() for d in devices]})


@app.route("/v1/devices/me", methods=["GET"], access=Access.DEVICE)
def device_profile() -> Response:
    service = wiring.runtime().devices
    device = service.authenticate(bearer_token(app.current_request.headers) or "")
    return json_response(service.profile(device), headers={"Cache-Control": "no-store"})


@app.route("/v1/devices/{device_id}/staff", methods=["PUT"], access=Access.PERSON)
def set_staff(device_id: str) -> Response:
    device = wiring.runtime().devices.set_staff(_person(), device_id, read_json(app.current_request))
    return json_response(device.public())


@app.route("/v1/devices/{device_id}", methods=["DELETE"], access=Access.PERSON)
def revoke_device(device_id: str) -> Response:
    wiring.runtime().devices.revoke(_person(), device_id)
    count("DeviceRevoked")
    logger.info("device revoked", extra={"device_id": device_id})
    return Response(body="", status_code=204)


@app.route("/v1/qrcodes/{kind}/{code}", methods=["GET"], access=Access.CHANNEL_OR_PERSON)
def qrcode(kind: str, code: str) -> Response:
    request = app.current_request
    link, token = wiring.runtime().links.issue(_caller(), kind, code, query_param(request, "channel"))
    url = f"{_origin(request)}/rate?t={token}"
    form = query_param(request, "format") or "svg"
    expires = qrcodes.expiry(link)
    if form == "json":
        return json_response({"url": url, "expires_at": expires})
    if form not in ("svg", "png"):
        raise ValidationFailed({"format": "svg, png or json"})
    image, content_type = qrcodes.draw(url, form)
    if form == "svg":
        # Text: the gateway passes it as it is; PNG goes out as binary (Chalice base64-encodes it).
        return Response(
            body=image.decode(),
            status_code=200,
            headers={"Content-Type": content_type, "Cache-Control": "no-store"},
        )
    return Response(
        body=image, status_code=200, headers={"Content-Type": content_type, "Cache-Control": "no-store"}
    )


def _origin(request: Any) -> str:
    """Where the link opens: the address this request came to (the API's own domain in AWS)."""
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    host = headers.get("host", "localhost")
    scheme = headers.get(
        "x-forwarded-proto", "https" if "." in host.split(":")[0] and not host.startswith("127.") else "http"
    )
    stage = (request.context or {}).get("stage")
    prefix = f"/{stage}" if stage and host.endswith("amazonaws.com") else ""
    return f"{scheme}://{host}{prefix}"


@app.route("/rate", methods=["GET"], access=Access.PUBLIC)
def rate_page() -> Response:
    request = app.current_request
    try:
        link, shown = wiring.runtime().links.open(query_param(request, "t"))
    except InvalidLink as refused:
        count("QrLinkRefused")
        if "text/html" not in (request.headers.get("accept") or ""):
            raise  # an API client gets the contract's error; a browser (it asks for HTML) the page
        return pages.rate_page({"error": refused.code}, 400)
    data = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in shown.items()
        if not isinstance(v, (list, dict))
    }
    data["kind"], data["channel"] = link.kind, link.channel.value
    data["settings"] = json.dumps({k: shown[k] for k in ("levels", "tags", "sub_scores")}, ensure_ascii=False)
    extra = {}
    if not BROWSER_ID.fullmatch(_cookie(request, BROWSER_COOKIE) or ""):
        # Which browser rates, for the flood rule: an HttpOnly cookie only the QR form's POST carries.
        extra["Set-Cookie"] = (
            f"{BROWSER_COOKIE}={secrets.token_urlsafe(18)}; Path=/v1/qr-ratings; Max-Age={BROWSER_COOKIE_DAYS * 86400}; "
            "HttpOnly; SameSite=Strict"
        )
    return pages.rate_page(data, 200, extra)


def _cookie(request: Any, name: str) -> str | None:
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    for part in (headers.get("cookie") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


@app.route("/v1/qr-ratings", methods=["POST"], access=Access.PUBLIC)
def post_qr_rating() -> Response:
    request = app.current_request
    runtime = wiring.runtime()
    address = ((request.context or {}).get("identity") or {}).get("sourceIp") or ""
    link, body = runtime.links.rating_body(read_json(request), _cookie(request, BROWSER_COOKIE), address)
    accepted = runtime.ratings.accept(body, channel_key=f"link:{link.kind}")
    rating = accepted.rating
    if accepted.created:
        count("RatingAccepted", channel=rating.channel.value, polarity="good" if rating.good else "bad")
        logger.info("rating accepted", extra={"rating_id": rating.rating_id, "channel": rating.channel.value})
    return json_response(answers.accepted(rating), 201 if accepted.created else 200)


def _static(path: str) -> Any:
    def view() -> Response:
        return pages.serve(path)

    view.__name__ = "page_" + path.strip("/").replace("/", "_").replace(".", "_")
    return view


for _path in pages.FILES:
    app.route(_path, methods=["GET"], access=Access.PUBLIC)(_static(_path))
