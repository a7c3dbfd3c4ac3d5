"""The directory: regions, departments, service items, windows and staff, each with its parent.

Every entry carries its full path up to the province, as codes, so that a rating's subjects are resolved
with one batch read (or none, from the cache) and every subject on the rating's paths is known without
walking the tree on the request path. Paths hold codes, never names: a rename touches the one entry, and
names are looked up when an entry is shown. A move changes its descendants' paths, which a background
job rewrites (directory_jobs)."""

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from functions.core.domain.errors import UnknownSubject, ValidationFailed
from functions.core.domain.regions import (
    InvalidRegionCode,
    RegionLevel,
    is_within,
    normalise_region_code,
    region_level,
)
from functions.core.domain.text import unfit_for_text


class SubjectKind(StrEnum):
    REGION = "region"
    DEPARTMENT = "department"
    ITEM = "item"
    WINDOW = "window"
    STAFF = "staff"


# Which kinds may be an entry's parent, in the order a bare parent code is looked up.
ALLOWED_PARENTS: Mapping[SubjectKind, tuple[SubjectKind, ...]] = {
    SubjectKind.REGION: (SubjectKind.REGION,),
    SubjectKind.DEPARTMENT: (SubjectKind.REGION,),
    SubjectKind.ITEM: (SubjectKind.DEPARTMENT,),
    SubjectKind.WINDOW: (SubjectKind.DEPARTMENT,),
    SubjectKind.STAFF: (SubjectKind.WINDOW, SubjectKind.DEPARTMENT),
}

# Import order: parents before children.
KIND_ORDER: tuple[SubjectKind, ...] = (
    SubjectKind.REGION,
    SubjectKind.DEPARTMENT,
    SubjectKind.ITEM,
    SubjectKind.WINDOW,
    SubjectKind.STAFF,
)

# Codes of departments, items, windows and staff.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
MAX_NAME = 100
# The code the national platform knows an entry by (an item's 事项编码, a department's 统一社会信用代码,
# a window's hall code): what the upward export needs (functions/export), on these kinds only.
NATIONAL_CODE = re.compile(r"[0-9A-Za-z]{1,64}")
NATIONAL_CODE_KINDS = frozenset({"department", "item", "window"})


def parse_kind(kind: str) -> SubjectKind:
    try:
        return SubjectKind(kind)
    except ValueError:
        raise ValidationFailed(
            {"kind": f"must be one of {', '.join(k.value for k in SubjectKind)}"}
        ) from None


def normalise_code(kind: SubjectKind, code: str, field_name: str = "code") -> str:
    """Region codes become 12 digits; other codes are kept as given if well formed."""
    if not isinstance(code, str):
        raise ValidationFailed({field_name: "must be a string"})
    if kind is SubjectKind.REGION:
        try:
            return normalise_region_code(code)
        except InvalidRegionCode as e:
            raise ValidationFailed({field_name: str(e)}) from None
    if not CODE.fullmatch(code):
        raise ValidationFailed({field_name: "1-64 of A-Z a-z 0-9 _ . - (starting with a letter or digit)"})
    return code


class SubjectRef(NamedTuple):
    kind: SubjectKind
    code: str

    @property
    def key(self) -> str:
        """The form used in storage and in a rating's paths: `department#D001`."""
        return f"{self.kind.value}#{self.code}"

    @classmethod
    def from_key(cls, key: str) -> "SubjectRef":
        kind, _, code = key.partition("#")
        return cls(SubjectKind(kind), code)


# Kinds that can have children: a move of one of these may have a subtree to rewrite.
CONTAINER_KINDS = frozenset(kind for kinds in ALLOWED_PARENTS.values() for kind in kinds)


class DirectoryEntry(NamedTuple):
    kind: SubjectKind
    code: str
    name: str
    parent: SubjectRef | None
    # The ancestors, nearest first, ending at the province.
    ancestors: tuple[SubjectRef, ...] = ()
    national_code: str | None = None

    @property
    def ref(self) -> SubjectRef:
        return SubjectRef(self.kind, self.code)

    @property
    def path(self) -> tuple[SubjectRef, ...]:
        """This entry and its ancestors, nearest first."""
        return (self.ref, *self.ancestors)

    @property
    def level(self) -> RegionLevel | None:
        return region_level(self.code) if self.kind is SubjectKind.REGION else None

    def nearest(self, kind: SubjectKind) -> SubjectRef | None:
        """The nearest entry of `kind` on the path, this entry included."""
        return next((step for step in self.path if step.kind is kind), None)

    def as_dict(self, names: Mapping[SubjectRef, str]) -> dict[str, Any]:
        """The entry as shown; `names` holds its ancestors' current names (looked up when shown)."""
        body: dict[str, Any] = {
            "kind": self.kind.value,
            "code": self.code,
            "name": self.name,
            "parent": self.parent.code if self.parent else None,
            "parent_kind": self.parent.kind.value if self.parent else None,
            "path": [
                {
                    "kind": step.kind.value,
                    "code": step.code,
                    "name": self.name if step == self.ref else names.get(step, ""),
                }
                for step in self.path
            ],
        }
        if self.level is not None:
            body["level"] = self.level.name.lower()
        if self.national_code is not None:
            body["national_code"] = self.national_code
        return body


def plan_entry(
    kind: SubjectKind,
    code: str,
    name: Any,
    parent: DirectoryEntry | None,
    province_code: str,
    national_code: Any = None,
) -> DirectoryEntry:
    """The entry to store for a PUT, checked against its parent and the stack's province.

    `parent` is the entry the caller's parent code resolved to (None when no parent was given)."""
    national = parse_national_code(kind, national_code)
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed({"name": "required, a non-empty string"})
    name = name.strip()
    if unfit_for_text(name):
        raise ValidationFailed({"name": "holds a control character or a lone surrogate"})
    if len(name) > MAX_NAME:
        raise ValidationFailed({"name": f"at most {MAX_NAME} characters"})
    if kind is SubjectKind.REGION:
        if not is_within(code, province_code):
            raise UnknownSubject(f"region {code} is outside this stack's province {province_code}")
        if code == province_code:
            if parent is not None:
                raise ValidationFailed({"parent": "the province has no parent"})
            return DirectoryEntry(kind, code, name, None, (), national)
    if parent is None:
        raise ValidationFailed({"parent": "required"})
    if parent.kind not in ALLOWED_PARENTS[kind]:
        raise ValidationFailed({"parent": f"a {kind.value} cannot sit under a {parent.kind.value}"})
    if kind is SubjectKind.REGION:
        parent_level = region_level(parent.code)
        if parent_level >= region_level(code) or not is_within(code, parent.code):
            raise ValidationFailed(
                {"parent": f"region {code} is not under region {parent.code} by its division code"}
            )
    return DirectoryEntry(kind, code, name, parent.ref, parent.path, national)


def parse_national_code(kind: SubjectKind, raw: Any) -> str | None:
    """An entry's national code: absent or empty is none; only items, windows and departments have one."""
    if raw is None or raw == "":
        return None
    if kind.value not in NATIONAL_CODE_KINDS:
        raise ValidationFailed({"national_code": "only items, windows and departments carry a national code"})
    if not isinstance(raw, str) or not NATIONAL_CODE.fullmatch(raw):
        raise ValidationFailed({"national_code": "1-64 of A-Z a-z 0-9"})
    return raw


# For each subject kind, the named kinds that must lie on its path when both are named. An item and a
# window are siblings under a department, so neither contains the other.
_CONTAINERS: Mapping[SubjectKind, tuple[SubjectKind, ...]] = {
    SubjectKind.STAFF: (SubjectKind.WINDOW, SubjectKind.DEPARTMENT),
    SubjectKind.WINDOW: (SubjectKind.DEPARTMENT,),
    SubjectKind.ITEM: (SubjectKind.DEPARTMENT,),
}


class ResolvedSubjects(NamedTuple):
    """A rating's subjects checked against the directory.

    `named` are the subjects the channel sent; `paths` every subject the rating counts for (the named
    ones and all their ancestors); `department` the one that answers a bad rating (None when only a
    region was named: then the region's administration office does)."""

    named: Mapping[SubjectKind, str]
    paths: tuple[str, ...]
    department: str | None
    region: str


def required_refs(subjects: Mapping[SubjectKind, str]) -> list[SubjectRef]:
    return [SubjectRef(kind, code) for kind, code in subjects.items()]


def resolve_subjects(
    subjects: Mapping[SubjectKind, str], entries: Mapping[SubjectRef, DirectoryEntry]
) -> ResolvedSubjects:
    """Check that every named subject exists and that they agree with each other, then collect the
    subjects on their paths. `entries` holds what the directory returned for `required_refs`."""
    missing = {kind.value: code for kind, code in subjects.items() if SubjectRef(kind, code) not in entries}
    if missing:
        listed = ", ".join(f"{k} {c}" for k, c in sorted(missing.items()))
        raise UnknownSubject(f"not in this province's directory: {listed}", missing)
    named = {kind: entries[SubjectRef(kind, code)] for kind, code in subjects.items()}

    # Every named subject must lie on the path of each more specific one.
    contradictions: dict[str, str] = {}
    for lower, containers in _CONTAINERS.items():
        if lower not in named:
            continue
        on_path = set(named[lower].path)
        for upper in containers:
            if upper in named and named[upper].ref not in on_path:
                contradictions[lower.value] = (
                    f"{lower.value} {named[lower].code} does not belong to {upper.value} {named[upper].code}"
                )
    # Items and windows/staff must belong to the same department when several are named.
    departments = {
        kind.value: step.code
        for kind, entry in named.items()
        if kind is not SubjectKind.REGION and (step := entry.nearest(SubjectKind.DEPARTMENT)) is not None
    }
    if len(set(departments.values())) > 1:
        contradictions.setdefault(
            "department",
            "the named subjects belong to different departments: "
            + ", ".join(f"{k} → {v}" for k, v in sorted(departments.items())),
        )
    department = next(iter(departments.values()), None)
    department_region = None
    if department is not None:
        anchor = next(entry for kind, entry in named.items() if kind is not SubjectKind.REGION)
        region_step = anchor.nearest(SubjectKind.REGION)
        department_region = region_step.code if region_step else None
    region_entry = named.get(SubjectKind.REGION)
    if (
        region_entry is not None
        and department_region is not None
        and not (
            is_within(region_entry.code, department_region) or is_within(department_region, region_entry.code)
        )
    ):
        contradictions["region"] = (
            f"region {region_entry.code} is unrelated to the department's region {department_region}"
        )
    if contradictions:
        raise UnknownSubject(
            "the subjects contradict the directory: " + "; ".join(contradictions.values()), contradictions
        )

    keys: dict[str, None] = {}
    for kind in KIND_ORDER[::-1]:
        if kind in named:
            for step in named[kind].path:
                keys.setdefault(step.key, None)
    # The most specific region named or implied is where the service was given.
    region = region_entry.code if region_entry is not None else department_region
    if (
        region_entry is not None
        and department_region is not None
        and is_within(department_region, region_entry.code)
    ):
        region = department_region
    assert region is not None  # a department always sits under a region
    return ResolvedSubjects(
        named={kind: entry.code for kind, entry in named.items()},
        paths=tuple(sorted(keys, key=_path_order)),
        department=department,
        region=region,
    )


def _path_order(key: str) -> tuple[int, str]:
    ref = SubjectRef.from_key(key)
    return (KIND_ORDER.index(ref.kind), ref.code)
