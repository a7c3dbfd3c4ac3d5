"""Rating devices and rating links, over ports (no boto3 here): enrolment, pairing, staff, revocation,
the device's own profile (what its screen shows), and turning what a device or a link holder sends into
the rating body that the shared rating service accepts (functions.core.services.ratings).

A device's channel, window and department come from the device, never from the request: a body that
names another window is 403. A queued device rating older than the province allows is refused for
good (400 on `rated_at`), as is one dated in the future (the rating rules' own check). A queued rating
whose window was moved to another department since it was tapped is accepted as the directory is when
it arrives: the device's window is looked up at rating time and the rating counts for the window's
current department (documented in the README; the tablet at the counter belongs to where the window
is now)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from functions.core.domain.channels import Channel
from functions.core.domain.devices import (
    BROWSER_ID,
    Device,
    DeviceStatus,
    Link,
    check_device_token,
    device_id_of,
    digest,
    flood_keys,
    new_device_id,
    new_device_token,
    new_pairing_code,
    normalise_pairing_code,
    parse_device_channel,
    sign_link,
    verify_link,
)
from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef, normalise_code
from functions.core.domain.errors import (
    Forbidden,
    InvalidLink,
    NotFound,
    Throttled,
    UnknownSubject,
    ValidationFailed,
)
from functions.core.domain.levels import Satisfaction
from functions.core.domain.province import ProvinceConfig
from functions.core.domain.scopes import Role, Viewer, may_see


class DirectoryReader(Protocol):
    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]: ...


class DeviceStore(Protocol):
    def enrol(self, device: Device, pairing_hash: str, expires: datetime) -> None: ...
    def get(self, device_id: str) -> Device | None: ...
    def pair(self, pairing_hash: str, credential_hash: Callable[[str], str], now: datetime) -> Device: ...
    def save(self, device: Device) -> None: ...
    def of_department(self, department: str) -> Iterator[Device]: ...
    def count_within(self, key: str, limit: int, expires: datetime) -> bool: ...


class CaseReader(Protocol):
    def get_case(self, case_no: str) -> dict[str, str] | None: ...


class Refusals(Protocol):
    def __call__(self, reason: str) -> None: ...


@dataclass
class DeviceService:
    store: DeviceStore
    directory: DirectoryReader
    province: ProvinceConfig
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # --- people --------------------------------------------------------------------------------

    def _window(self, raw: Any) -> DirectoryEntry:
        if not isinstance(raw, str) or not raw:
            raise ValidationFailed({"window": "required: the window's directory code"})
        try:
            code = normalise_code(SubjectKind.WINDOW, raw)
        except ValidationFailed:
            raise ValidationFailed({"window": "not a window code"}) from None
        ref = SubjectRef(SubjectKind.WINDOW, code)
        entry = self.directory.get_many([ref]).get(ref)
        if entry is None:
            raise UnknownSubject(f"no window {code} in the directory", {"window": code})
        return entry

    def enrol(self, caller: Viewer, body: dict[str, Any]) -> tuple[Device, str, datetime]:
        unknown = set(body) - {"window", "channel", "name"}
        if unknown:
            raise ValidationFailed({name: "not a field of a device" for name in sorted(unknown)})
        channel = parse_device_channel(body.get("channel"))
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or not 0 < len(name.strip()) <= 60):
            raise ValidationFailed({"name": "at most 60 characters"})
        window = self._window(body.get("window"))
        self._require_scope(caller, window)
        department = window.nearest(SubjectKind.DEPARTMENT)
        assert department is not None  # a window's parent is a department
        now = self.clock()
        device = Device(
            device_id=new_device_id(),
            window=window.code,
            department=department.code,
            channel=channel,
            name=(name or "").strip() or window.name,
            status=DeviceStatus.PENDING,
            created_at=now.isoformat(),
        )
        code = new_pairing_code()
        expires = now + timedelta(minutes=self.province.screens.pairing_minutes)
        self.store.enrol(device, digest(code), expires)
        return device, code, expires

    def _require_scope(self, caller: Viewer, entry: DirectoryEntry) -> None:
        paths = tuple(ref.key for ref in entry.path)
        if caller.role not in (Role.ADMIN, Role.DEPARTMENT) or not may_see(caller, paths):
            raise Forbidden("devices are enrolled by an admin or by the window's own department")

    def _device_for(self, caller: Viewer, device_id: str) -> Device:
        device = self.store.get(device_id) if isinstance(device_id, str) and len(device_id) < 40 else None
        if device is None:
            raise NotFound("no such device")
        paths = (SubjectRef(SubjectKind.DEPARTMENT, device.department).key,)
        if caller.role not in (Role.ADMIN, Role.DEPARTMENT) or not may_see(caller, paths):
            raise Forbidden("this device belongs to another department")
        return device

    def list(self, caller: Viewer, department: str | None) -> list[Device]:
        if department is None:
            if caller.role is Role.DEPARTMENT and caller.scope:
                department = caller.scope
            else:
                raise ValidationFailed({"department": "required: the department whose devices to list"})
        if (
            not may_see(caller, (SubjectRef(SubjectKind.DEPARTMENT, department).key,))
            and caller.role is not Role.REVIEWER
        ):
            raise Forbidden("this department is outside your scope")
        devices = list(self.store.of_department(department))
        if caller.role is Role.REVIEWER:
            ref = SubjectRef(SubjectKind.DEPARTMENT, department)
            entry = self.directory.get_many([ref]).get(ref)
            if entry is None or not may_see(caller, tuple(r.key for r in entry.path)):
                raise Forbidden("this department is outside your scope")
        return sorted(devices, key=lambda d: d.created_at)

    def set_staff(self, caller: Viewer, device_id: str, body: dict[str, Any]) -> Device:
        device = self._device_for(caller, device_id)
        unknown = set(body) - {"staff", "title"}
        if unknown or "staff" not in body:
            raise ValidationFailed({"staff": "required: a staff code, or null for nobody"})
        staff, title = body.get("staff"), body.get("title")
        if title is not None and (not isinstance(title, str) or not 0 < len(title.strip()) <= 30):
            raise ValidationFailed({"title": "the job title, at most 30 characters"})
        if staff is None:
            changed = replace(device, staff=None, staff_title=None)
        else:
            if not isinstance(staff, str):
                raise ValidationFailed({"staff": "a staff code, or null"})
            code = normalise_code(SubjectKind.STAFF, staff)
            ref = SubjectRef(SubjectKind.STAFF, code)
            entry = self.directory.get_many([ref]).get(ref)
            if entry is None:
                raise UnknownSubject(f"no staff {code} in the directory", {"staff": code})
            on_path = {r.key for r in entry.path}
            window = SubjectRef(SubjectKind.WINDOW, device.window).key
            department = SubjectRef(SubjectKind.DEPARTMENT, device.department).key
            if window not in on_path and not (
                department in on_path and entry.parent and entry.parent.kind is SubjectKind.DEPARTMENT
            ):
                raise UnknownSubject(
                    "this staff member serves at another window or department", {"staff": code}
                )
            changed = replace(device, staff=code, staff_title=title.strip() if title else None)
        self.store.save(changed)
        return changed

    def revoke(self, caller: Viewer, device_id: str) -> None:
        device = self._device_for(caller, device_id)
        if device.status is not DeviceStatus.REVOKED:
            self.store.save(device.revoked(self.clock()))

    # --- the device ----------------------------------------------------------------------------

    def pair(self, body: dict[str, Any]) -> tuple[Device, str]:
        unknown = set(body) - {"pairing_code"}
        if unknown:
            raise ValidationFailed({name: "not a field of pairing" for name in sorted(unknown)})
        code = normalise_pairing_code(body.get("pairing_code"))
        issued: list[str] = []

        def credential_hash(device_id: str) -> str:
            # The credential names its device, whose id only the code's item knows: it is made once
            # that id is read, and its hash stored in the same transaction that spends the code.
            issued.append(new_device_token(device_id))
            return digest(issued[-1])

        device = self.store.pair(digest(code), credential_hash, self.clock())
        return device, issued[-1]

    def authenticate(self, token: str) -> Device:
        device_id = device_id_of(token)
        return check_device_token(token, self.store.get(device_id))

    def profile(self, device: Device) -> dict[str, Any]:
        """What the device's screen shows and needs offline: its window and department (names), who
        serves there, the province's levels and tags, and its idle time."""
        refs = [
            SubjectRef(SubjectKind.WINDOW, device.window),
            SubjectRef(SubjectKind.DEPARTMENT, device.department),
        ]
        if device.staff:
            refs.append(SubjectRef(SubjectKind.STAFF, device.staff))
        found = self.directory.get_many(refs)
        names = {ref.kind: entry.name for ref, entry in found.items()}
        return {
            "device_id": device.device_id,
            "channel": device.channel.value,
            "name": device.name,
            "window": {"code": device.window, "name": names.get(SubjectKind.WINDOW, device.window)},
            "department": {
                "code": device.department,
                "name": names.get(SubjectKind.DEPARTMENT, device.department),
            },
            "staff": (
                {
                    "code": device.staff,
                    "name": names.get(SubjectKind.STAFF, device.staff),
                    "title": device.staff_title,
                }
                if device.staff
                else None
            ),
            **screen_settings(self.province),
        }

    def device_rating(self, device: Device, body: dict[str, Any]) -> dict[str, Any]:
        """The rating body for the shared service: channel, window, department and staff from the device."""
        subjects = body.get("subjects")
        if isinstance(subjects, dict):
            named = subjects.get("window")
            if named is not None and named != device.window:
                raise Forbidden("a device rates its own window only")
            if set(subjects) - {"window", "department", "staff"}:
                raise Forbidden("a device rates its own window's subjects only")
        rating = {k: v for k, v in body.items() if k not in ("channel", "subjects")}
        self._not_too_old(rating.get("rated_at"))
        rating["channel"] = device.channel.value
        staff = subjects.get("staff") if isinstance(subjects, dict) and "staff" in subjects else device.staff
        # The window's department as the directory has it now (the window may have moved since the
        # device was enrolled, or since the rating was queued); a window gone from it is a 422.
        department = self._window(device.window).nearest(SubjectKind.DEPARTMENT)
        allowed = {None, device.department, department.code if department else None}
        if isinstance(subjects, dict) and subjects.get("department") not in allowed:
            raise Forbidden("a device rates its own window only")
        rating["subjects"] = {
            "department": department.code if department else device.department,
            "window": device.window,
        }
        if staff:
            rating["subjects"]["staff"] = staff
        return rating

    def _not_too_old(self, rated_at: Any) -> None:
        if not isinstance(rated_at, str):
            return  # the rating rules say what is wrong with it
        try:
            when = datetime.fromisoformat(rated_at.upper())
        except ValueError:
            return
        if when.tzinfo is None:
            return
        oldest = self.clock() - timedelta(days=self.province.screens.device_queue_max_days)
        if when < oldest:
            raise ValidationFailed(
                {
                    "rated_at": f"older than {self.province.screens.device_queue_max_days} days: too late to be taken"
                }
            )


# How the screens name the sub-score dimensions (GB/T 39734-2020's second-level indicators), on site
# and online; a dimension not listed here is shown by its name.
DIMENSION_LABELS = {
    "on_site": {"efficiency": "服务效率", "service": "服务水平", "attitude": "服务态度"},
    "online": {
        "efficiency": "办事效率",
        "guide": "办事指南精确度",
        "convenience": "办事便捷度",
        "usability": "平台操作性",
    },
}


def screen_settings(province: ProvinceConfig, online: bool = False) -> dict[str, Any]:
    """The province's part of every rating screen: levels with their words, tags per polarity, idle time,
    whether a bad rating needs a reason (a bad tag or a comment), and the sub-score dimensions of its
    channel group (on site for devices and window codes, online for online cases' links)."""
    rules = province.ratings
    group = "online" if online else "on_site"
    dimensions = rules.sub_scores.online if online else rules.sub_scores.on_site
    labels = DIMENSION_LABELS[group]
    return {
        "levels": [
            {"satisfaction": int(level), "word": level.label} for level in sorted(Satisfaction, reverse=True)
        ],
        "tags": {"good": list(province.tags.good), "bad": list(province.tags.bad)},
        "reason_required": rules.reason_required,
        "sub_scores": [{"name": name, "label": labels.get(name, name)} for name in dimensions],
        "idle_seconds": province.screens.idle_seconds,
    }


# --- links (QR codes and signed links) -----------------------------------------------------------


@dataclass
class LinkService:
    store: DeviceStore
    directory: DirectoryReader
    cases: CaseReader
    province: ProvinceConfig
    keys: Callable[[], Sequence[bytes]]
    refused: Refusals
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def issue(self, caller: Any, kind: str, code: str, channel: str | None) -> tuple[Link, str]:
        """A signed token for a window's or a case's code, for someone allowed to print it: people in
        scope of the window or case; the case system's channel key for a case."""
        if kind == "window":
            if getattr(caller, "is_channel", False):
                raise Forbidden("a window's code is printed by people in scope")
            window = self._window_entry(code)
            if not may_see(caller, tuple(r.key for r in window.path)):
                raise Forbidden("this window is outside your scope")
            link = Link("window", window.code, Channel.QRCODE)
        elif kind == "case":
            case = self.cases.get_case(code) if len(code) <= 50 else None
            if case is None:
                raise NotFound("no such completed case")
            if not getattr(caller, "is_channel", False) and not may_see(
                caller, tuple(case.get("paths", "").split())
            ):
                raise Forbidden("this case is outside your scope")
            try:
                wanted = Channel(channel or Channel.QRCODE.value)
            except ValueError:
                wanted = None
            if wanted not in (Channel.QRCODE, Channel.PC, Channel.MOBILE):
                raise ValidationFailed({"channel": "qrcode (printed), pc or mobile (an online case's link)"})
            period = self.province.ratings.rating_period_days
            expires_at = None
            if period is not None:
                expires = datetime.fromisoformat(case["completed_at"]) + timedelta(days=period)
                if expires <= self.clock():
                    raise InvalidLink("this case's rating period is over")
                expires_at = int(expires.timestamp())
            link = Link("case", code, wanted, expires_at)
        else:
            raise NotFound("QR codes are for a window or a case")
        return link, sign_link(link, self.keys())

    def _window_entry(self, code: str) -> DirectoryEntry:
        try:
            ref = SubjectRef(SubjectKind.WINDOW, normalise_code(SubjectKind.WINDOW, code))
        except ValidationFailed:
            raise NotFound("no such window") from None
        entry = self.directory.get_many([ref]).get(ref)
        if entry is None:
            raise NotFound("no such window")
        return entry

    def open(self, token: Any) -> tuple[Link, dict[str, Any]]:
        """What the form for a link shows: the names of what is rated and the province's settings."""
        link = verify_link(token, self.keys(), self.clock())
        if link.kind == "window":
            window = self._window_entry(link.code)
            department = window.nearest(SubjectKind.DEPARTMENT)
            refs = [department] if department else []
            names = {r: e.name for r, e in self.directory.get_many(refs).items()}
            shown = {"window": window.name, "department": names.get(department, "") if department else ""}
        else:
            case = self.cases.get_case(link.code)
            if case is None:
                raise InvalidLink("this rating link is not valid")
            ref = SubjectRef(SubjectKind.DEPARTMENT, case["department"])
            entry = self.directory.get_many([ref]).get(ref)
            shown = {"case_no": link.code, "department": entry.name if entry else case["department"]}
            if case.get("rating_id"):
                shown["already_rated"] = "true"
        online = link.channel in (Channel.PC, Channel.MOBILE)
        return link, {**shown, **screen_settings(self.province, online)}

    def rating_body(
        self, body: dict[str, Any], browser: str | None, address: str
    ) -> tuple[Link, dict[str, Any]]:
        """The rating a link holder's form makes, after the flood rule for a window's code."""
        unknown = set(body) - {"t", "satisfaction", "tags", "comment", "phone", "sub_scores", "rating_id"}
        if unknown:
            raise ValidationFailed({name: "not a field of a QR rating" for name in sorted(unknown)})
        link = verify_link(body.get("t"), self.keys(), self.clock())
        rating: dict[str, Any] = {
            k: body[k] for k in ("satisfaction", "tags", "comment", "sub_scores", "rating_id") if k in body
        }
        rating["channel"] = link.channel.value
        phone = body.get("phone")
        if phone not in (None, ""):
            rating["rater"] = {"phone": phone, "kind": "person"}
        if link.kind == "window":
            window = self._window_entry(link.code)
            department = window.nearest(SubjectKind.DEPARTMENT)
            rating["subjects"] = {
                "window": window.code,
                **({"department": department.code} if department else {}),
            }
            self._within_flood_limit(window.code, browser, address)
        else:
            case = self.cases.get_case(link.code)
            if case is None:
                raise InvalidLink("this rating link is not valid")
            rating["case_no"] = link.code
            rating["subjects"] = {
                kind: case[kind] for kind in ("department", "item", "window", "staff") if case.get(kind)
            }
            if not rating["subjects"]:
                rating["subjects"] = {"region": case["region"]}
        return link, rating

    def _within_flood_limit(self, window: str, browser: str | None, address: str) -> None:
        from zoneinfo import ZoneInfo

        now = self.clock()
        day = now.astimezone(ZoneInfo(self.province.timezone)).date().isoformat()
        if browser is None or not BROWSER_ID.fullmatch(browser):
            self.refused("no_browser")
            raise Throttled("open the rating page from the QR code again, then rate")
        keys = flood_keys(window, day, browser, address)
        expires = now + timedelta(days=2)
        screens = self.province.screens
        if not self.store.count_within(keys["browser"], screens.qr_per_browser_per_day, expires):
            self.refused("browser")
            raise Throttled("this window has been rated from this phone as often as a day allows")
        if not self.store.count_within(keys["address"], screens.qr_per_address_per_day, expires):
            self.refused("address")
            raise Throttled("this window has been rated from this network as often as a day allows")
