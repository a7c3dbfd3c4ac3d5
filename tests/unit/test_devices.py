"""Rating devices and signed rating links without AWS: credentials, pairing codes, link tokens (forged,
tampered, expired, rotated keys), what a device may rate, and the flood rule of a window's QR code,
over in-memory fakes of the devices store and the demo directory."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from functions.core.domain.channels import Channel
from functions.core.domain.devices import (
    Device,
    DeviceStatus,
    Link,
    check_device_token,
    device_id_of,
    digest,
    new_device_token,
    normalise_pairing_code,
    sign_link,
    verify_link,
)
from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.core.domain.errors import (
    Forbidden,
    InvalidLink,
    Throttled,
    Unauthenticated,
    ValidationFailed,
)
from functions.core.domain.scopes import Person, Role
from functions.core.services.devices import DeviceService, LinkService
from infra.provinces import GUIZHOU
from tests.fakes import demo_directory

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
KEY, OLD_KEY, OTHER_KEY = b"k" * 32, b"o" * 32, b"x" * 32
DEPARTMENT, WINDOW = "D52010003", "W5201000301"
ADMIN = Person(Role.ADMIN, None)
OWN = Person(Role.DEPARTMENT, DEPARTMENT)
OTHER = Person(Role.DEPARTMENT, "D52010001")


class MemoryDevices:
    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.codes: dict[str, tuple[str, datetime]] = {}
        self.counters: dict[str, int] = {}

    def enrol(self, device: Device, pairing_hash: str, expires: datetime) -> None:
        self.devices[device.device_id] = device
        self.codes[pairing_hash] = (device.device_id, expires)

    def get(self, device_id: str) -> Device | None:
        return self.devices.get(device_id)

    def pair(self, pairing_hash: str, credential_hash: Callable[[str], str], now: datetime) -> Device:
        found = self.codes.pop(pairing_hash, None)
        if found is None or found[1] < now:
            raise ValidationFailed({"pairing_code": "unknown, already used or expired"})
        device = replace(
            self.devices[found[0]], status=DeviceStatus.ACTIVE, token_hash=credential_hash(found[0])
        )
        self.devices[device.device_id] = device
        return device

    def save(self, device: Device) -> None:
        self.devices[device.device_id] = device

    def of_department(self, department: str) -> Iterator[Device]:
        return iter([d for d in self.devices.values() if d.department == department])

    def count_within(self, key: str, limit: int, expires: datetime) -> bool:
        if self.counters.get(key, 0) >= limit:
            return False
        self.counters[key] = self.counters.get(key, 0) + 1
        return True


@pytest.fixture
def store() -> MemoryDevices:
    return MemoryDevices()


@pytest.fixture
def devices(store: MemoryDevices) -> DeviceService:
    return DeviceService(store, demo_directory(), GUIZHOU, clock=lambda: NOW)


def paired(devices: DeviceService) -> tuple[Device, str]:
    _, code, _ = devices.enrol(OWN, {"window": WINDOW, "channel": "hall_pad"})
    return devices.pair({"pairing_code": code})


# --- credentials and pairing ---------------------------------------------------------------------


def test_a_pairing_code_pairs_once_and_the_credential_is_stored_only_as_its_hash(
    devices: DeviceService, store: MemoryDevices
) -> None:
    device, code, expires = devices.enrol(OWN, {"window": WINDOW, "channel": "hall_terminal"})
    assert device.status is DeviceStatus.PENDING and device.department == DEPARTMENT
    assert expires == NOW + timedelta(minutes=GUIZHOU.screens.pairing_minutes)
    spaced = f"{code[:5].lower()}-{code[5:]}"
    active, token = devices.pair({"pairing_code": spaced})
    assert active.status is DeviceStatus.ACTIVE and active.channel is Channel.HALL_TERMINAL
    assert store.devices[device.device_id].token_hash == digest(token)
    assert token not in json.dumps(active.public())
    with pytest.raises(ValidationFailed):
        devices.pair({"pairing_code": code})
    assert devices.authenticate(token).device_id == device.device_id


@pytest.mark.parametrize("raw", [None, 12345, "", "ABC", "ABCDEFGHJKX", "ABCDEFGHJ!"])
def test_a_malformed_pairing_code_is_a_400(raw: object) -> None:
    with pytest.raises(ValidationFailed):
        normalise_pairing_code(raw)


def test_a_wrong_secret_a_revoked_device_or_a_malformed_credential_is_401(devices: DeviceService) -> None:
    device, token = paired(devices)
    forged = new_device_token(device.device_id)  # the right id, another secret
    with pytest.raises(Unauthenticated):
        devices.authenticate(forged)
    with pytest.raises(Unauthenticated):
        device_id_of("hcpd_nonsense")
    with pytest.raises(Unauthenticated):
        check_device_token(token, None)
    devices.revoke(OWN, device.device_id)
    with pytest.raises(Unauthenticated):
        devices.authenticate(token)


def test_only_an_admin_or_the_windows_department_enrols_and_revokes(devices: DeviceService) -> None:
    with pytest.raises(Forbidden):
        devices.enrol(OTHER, {"window": WINDOW, "channel": "hall_pad"})
    with pytest.raises(Forbidden):
        devices.enrol(Person(Role.REVIEWER, "520100000000"), {"window": WINDOW, "channel": "hall_pad"})
    device, _ = paired(devices)
    with pytest.raises(Forbidden):
        devices.revoke(OTHER, device.device_id)
    devices.enrol(ADMIN, {"window": WINDOW, "channel": "hall_pad"})


# --- what a device rates -------------------------------------------------------------------------


def test_a_device_rates_its_own_window_with_its_channel_and_staff(devices: DeviceService) -> None:
    device, _ = paired(devices)
    device = devices.set_staff(OWN, device.device_id, {"staff": "S520100030101", "title": "受理员"})
    body = devices.device_rating(device, {"satisfaction": 5, "channel": "pc"})
    assert body["channel"] == "hall_pad"
    assert body["subjects"] == {"department": DEPARTMENT, "window": WINDOW, "staff": "S520100030101"}
    for subjects in ({"window": "W5201000101"}, {"department": "D52010001"}, {"item": "I5201000301"}):
        with pytest.raises(Forbidden):
            devices.device_rating(device, {"satisfaction": 5, "subjects": subjects})


def test_a_queued_rating_older_than_the_province_allows_is_refused(devices: DeviceService) -> None:
    device, _ = paired(devices)
    days = GUIZHOU.screens.device_queue_max_days
    recent = (NOW - timedelta(days=days - 1)).isoformat()
    assert devices.device_rating(device, {"satisfaction": 4, "rated_at": recent})["rated_at"] == recent
    with pytest.raises(ValidationFailed) as refused:
        devices.device_rating(
            device, {"satisfaction": 4, "rated_at": (NOW - timedelta(days=days + 1)).isoformat()}
        )
    assert "rated_at" in refused.value.fields


def test_a_rating_queued_before_its_window_moved_counts_where_the_window_is_now(
    store: MemoryDevices,
) -> None:
    directory = demo_directory()
    service = DeviceService(store, directory, GUIZHOU, clock=lambda: NOW)
    device, _ = paired(service)
    ref = SubjectRef(SubjectKind.WINDOW, WINDOW)
    moved_to = directory.get_many([SubjectRef(SubjectKind.DEPARTMENT, "D52010002")])[
        SubjectRef(SubjectKind.DEPARTMENT, "D52010002")
    ]
    entry = directory.entries[ref]
    directory.entries[ref] = DirectoryEntry(
        entry.kind, entry.code, entry.name, moved_to.ref, (moved_to.ref, *moved_to.ancestors)
    )
    body = service.device_rating(device, {"satisfaction": 3})
    assert body["subjects"]["department"] == "D52010002"


# --- signed links --------------------------------------------------------------------------------


def test_a_link_verifies_with_its_key_and_after_a_rotation_with_the_previous_one() -> None:
    link = Link("case", "GY-2026-1", Channel.MOBILE, int((NOW + timedelta(days=1)).timestamp()))
    token = sign_link(link, [OLD_KEY])
    assert verify_link(token, [OLD_KEY], NOW) == link
    # Rotated: the new key signs, the previous one still verifies codes already printed
    assert verify_link(token, [KEY, OLD_KEY], NOW) == link
    assert verify_link(sign_link(link, [KEY, OLD_KEY]), [KEY, OLD_KEY], NOW) == link
    # Rotated twice: the old key is gone, and so are its links
    with pytest.raises(InvalidLink):
        verify_link(token, [OTHER_KEY, KEY], NOW)


def _tampered(token: str) -> str:
    version, kid, payload, mac = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["c"] = "W5201000101"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return ".".join((version, kid, forged, mac))


def test_forged_tampered_expired_and_malformed_links_are_invalid() -> None:
    window = sign_link(Link("window", WINDOW, Channel.QRCODE), [KEY])
    case = sign_link(Link("case", "GY-1", Channel.QRCODE, int(NOW.timestamp()) - 1), [KEY])
    for bad in (
        _tampered(window),
        sign_link(Link("window", WINDOW, Channel.QRCODE), [OTHER_KEY]),
        case,  # expired a second ago
        window[:-2],
        "v2" + window[2:],
        "v1.x.y",
        None,
        "v1." + "a" * 700,
    ):
        with pytest.raises(InvalidLink):
            verify_link(bad, [KEY], NOW)
    # A window's printed code does not expire
    assert verify_link(window, [KEY], NOW + timedelta(days=3650)).code == WINDOW


# --- the flood rule ------------------------------------------------------------------------------


def test_a_window_code_takes_the_provinces_ratings_per_browser_and_counts_each_refusal(
    store: MemoryDevices,
) -> None:
    refusals: list[str] = []
    links = LinkService(
        store,
        demo_directory(),
        cases=None,
        province=GUIZHOU,
        keys=lambda: [KEY],
        refused=refusals.append,
        clock=lambda: NOW,
    )  # type: ignore[arg-type]
    token = sign_link(Link("window", WINDOW, Channel.QRCODE), [KEY])
    browser, other_browser = "a" * 24, "b" * 24
    for _ in range(GUIZHOU.screens.qr_per_browser_per_day):
        _, body = links.rating_body({"t": token, "satisfaction": 5}, browser, "10.0.0.1")
        assert body["channel"] == "qrcode" and body["subjects"]["window"] == WINDOW
    with pytest.raises(Throttled):
        links.rating_body({"t": token, "satisfaction": 5}, browser, "10.0.0.1")
    with pytest.raises(Throttled):
        links.rating_body({"t": token, "satisfaction": 5}, None, "10.0.0.1")
    links.rating_body({"t": token, "satisfaction": 5}, other_browser, "10.0.0.1")
    assert refusals == ["browser", "no_browser"]
    # No counter holds the address itself
    assert not any("10.0.0.1" in key for key in store.counters)


# --- the authorizer and the caller ---------------------------------------------------------------


def test_the_authorizer_passes_a_device_credentials_id_and_refuses_a_malformed_one() -> None:
    from functions.core.http import authorizer
    from functions.core.http.auth import caller_from_context, require_person

    arn = "arn:aws:execute-api:cn-north-1:123456789012:api/prod/POST/v1/ratings"
    token = new_device_token("dv0123456789abcdef")
    authorizer.console_key.use(None)
    try:
        answer = authorizer.handler({"methodArn": arn, "headers": {"Authorization": f"Bearer {token}"}}, None)
    finally:
        authorizer.console_key.use(None)
    assert answer["context"] == {"device": "dv0123456789abcdef"}
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    with pytest.raises(authorizer.Unauthorized):
        authorizer.handler({"methodArn": arn, "headers": {"Authorization": "Bearer hcpd_dvx_short"}}, None)
    caller = caller_from_context({"authorizer": answer["context"]})
    assert caller.device == "dv0123456789abcdef" and not caller.is_channel and caller.role is None
    # A device is no person
    with pytest.raises(Forbidden):
        require_person(caller)


def test_the_screens_follow_the_provinces_rating_rules() -> None:
    from functions.core.services.devices import screen_settings

    on_site = screen_settings(GUIZHOU)
    assert on_site["reason_required"] is GUIZHOU.ratings.reason_required
    assert [d["name"] for d in on_site["sub_scores"]] == list(GUIZHOU.ratings.sub_scores.on_site)
    assert {d["label"] for d in on_site["sub_scores"]} <= {"服务效率", "服务水平", "服务态度"}
    online = screen_settings(GUIZHOU, online=True)
    assert [d["name"] for d in online["sub_scores"]] == list(GUIZHOU.ratings.sub_scores.online)
    assert [level["word"] for level in on_site["levels"]] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
