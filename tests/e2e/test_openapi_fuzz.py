"""Property-based tests of the served contract against the running local stack.

1. schemathesis fuzzes every operation of GET /v1/openapi.json, once with the channel key and once with
   an admin token, with valid and invalid (negative) inputs: never a 5xx, every 4xx in the contract's
   error shape, and every status and content type one the document declares for that operation.
1b. A hypothesis strategy of our own sends every operation the JSON other parsers read differently or
   choke on (deep nesting, lone surrogates, duplicate keys, NaN, 1e400, 5.0, non-object tops) and hostile
   path and query values: never a 5xx, always the contract's error shape.
2. schemathesis's subject codes are random, so its ratings never name a subject the directory knows
   (they end in 422 or 400). A hypothesis test of our own therefore generates VALID ratings from the
   demo directory and checks that each is accepted, replayed idempotently and read back as sent.

Runs after the exact tests (see conftest): fuzzing writes random directory entries."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, status_code_conformance

from functions.core.domain.personal import mask_free_text
from infra.provinces import GUIZHOU
from tests.e2e.conftest import Api, DirectoryRow, SentPersonalData, Stack, running_stack

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 30
MOBILE = re.compile(r"1[3-9][0-9]{9}")
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# How the fuzz run's answers were distributed, per credential and operation (printed with -s / -rA).
STATUSES: Counter[tuple[str, str, int]] = Counter()


@pytest.fixture(scope="module")
def fuzz_stack(
    tmp_path_factory: pytest.TempPathFactory, sent_personal_data: SentPersonalData
) -> Iterator[Stack]:
    """A stack of the module's own: the fuzz run writes random directory entries and ratings, which no
    other test may find, whatever order the tests run in."""
    with running_stack(tmp_path_factory.mktemp("fuzz-stack") / "server.log", sent_personal_data) as running:
        yield running


@pytest.fixture(scope="module")
def base_url(fuzz_stack: Stack) -> str:
    return fuzz_stack.base_url


@pytest.fixture(scope="module")
def api(base_url: str, sent_personal_data: SentPersonalData) -> Api:
    return Api(base_url, sent_personal_data)


# --- 1. schemathesis over the served document ----------------------------------------------------


@pytest.fixture(scope="module", params=["channel-key", "admin-token"])
def fuzz_credential(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def fuzz_headers(
    fuzz_credential: str, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> dict[str, str]:
    return channel_headers if fuzz_credential == "channel-key" else admin_headers


@pytest.fixture
def served_schema(base_url: str, fuzz_headers: dict[str, str]) -> schemathesis.BaseSchema:
    """The OpenAPI document as the stack serves it, sending one credential on every request."""
    schema = schemathesis.openapi.from_url(f"{base_url}/v1/openapi.json", timeout=30)
    schema.config.update(base_url=base_url, headers=fuzz_headers)
    schema.config.generation.update(
        max_examples=MAX_EXAMPLES, modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    )
    return schema


def errors_in_contract_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """API.md: every error is {"error": code, "message": text, ...}; a validation error adds "fields"."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = response.json()
    except Exception as e:  # any parse failure is the finding
        raise AssertionError(f"{response.status_code} body is not JSON: {response.text[:300]!r}") from e
    assert isinstance(body, dict), f"{response.status_code} body is not an object: {body!r}"
    assert isinstance(body.get("error"), str) and body["error"], f"no string 'error': {body!r}"
    assert isinstance(body.get("message"), str) and body["message"], f"no string 'message': {body!r}"
    if body["error"] == "validation":
        assert response.status_code == 400, f"validation error with {response.status_code}: {body!r}"
        assert isinstance(body.get("fields"), dict), f"validation error without a 'fields' object: {body!r}"


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32.5's lazy schemas read and rewrite `item._nodeid` (to name each operation's
    subtest); pytest 9.2 keeps the node id in `item._id` and has no `_nodeid`. Give the item one."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


served = schemathesis.pytest.from_fixture("served_schema")


@FUZZ_SETTINGS
@served.parametrize()
def test_the_served_contract_holds_under_fuzzing(
    case: schemathesis.Case, fuzz_credential: str, sent_personal_data: SentPersonalData
) -> None:
    # Given a generated request (valid or not) with a channel key or an admin token
    _remember_personal_data(case.body, sent_personal_data)

    # When it is sent to the stack
    response = case.call_and_validate(
        checks=[
            not_a_server_error,
            errors_in_contract_shape,
            status_code_conformance,
            content_type_conformance,
        ]
    )

    # Then no 5xx, every 4xx in the contract's shape, every status and content type documented
    STATUSES[(fuzz_credential, case.operation.label, response.status_code)] += 1


def _remember_personal_data(body: Any, sent: SentPersonalData) -> None:
    """Generated mobile numbers, and names long enough not to occur in a log by chance."""
    rater = body.get("rater") if isinstance(body, dict) else None
    if not isinstance(rater, dict):
        return
    phone, name = rater.get("phone"), rater.get("name")
    if isinstance(phone, str) and MOBILE.fullmatch(phone):
        sent.add({"phone": phone})
    if isinstance(name, str) and len(name.strip()) >= 6 and any(ord(c) > 127 for c in name):
        sent.add({"name": name})


def test_fuzzing_reached_every_operation_and_no_role_got_through(
    api: Api, channel_headers: dict[str, str]
) -> None:
    """What the fuzz run above got back (printed with -rA), and two facts it must show."""
    if not STATUSES:
        pytest.skip("runs after test_the_served_contract_holds_under_fuzzing, from its answers")
    for (credential, operation, status), n in sorted(STATUSES.items()):
        print(f"{credential:12} {operation:36} {status}: {n}")
    # Given the operations of the served document (schemathesis leaves out the document's own GET)
    document = api.get("/v1/openapi.json", channel_headers).json()
    operations = {
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        for method in methods
        if path != "/v1/openapi.json"
    }

    # Then each was fuzzed with both credentials
    for credential in ("channel-key", "admin-token"):
        reached = {op for (who, op, _), n in STATUSES.items() if who == credential and n}
        assert reached == operations, f"{credential}: fuzzed {sorted(reached)}, served {sorted(operations)}"
    # and no generated request ever got a 2xx from an operation its credential may not use
    not_for = {
        "channel-key": {
            "GET /v1/ratings/{rating_id}",
            "PUT /v1/directory/{kind}/{code}",
            "POST /v1/directory/import",
        },
        "admin-token": {"POST /v1/ratings", "POST /v1/cases"},
    }
    crossed = {
        (who, op, status) for (who, op, status) in STATUSES if op in not_for[who] and 200 <= status < 300
    }
    assert not crossed, f"2xx answers to callers the contract refuses: {sorted(crossed)}"


# --- 1b. hostile JSON and hostile parameters, against every operation of the served document ------

# JSON fragments that Python's json module, another parser or a UTF-8 encoder would treat differently.
HOSTILE_FRAGMENTS = st.one_of(
    st.integers(33, 5_000).map(lambda n: "[" * n + "]" * n),  # nested past the limit
    st.integers(33, 400).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.sampled_from(['"\\ud800"', '"\\udfff"', '"ok\\udbffend"', '["\\ud800"]']),  # lone surrogates
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "5.0", "2.5", "-0", "1" * 60]),
    st.sampled_from(["true", "false", "null", '""', "[]", "{}", '"5"']),
    st.text(max_size=20).map(json.dumps),
)


@st.composite
def hostile_json(draw: st.DrawFn, fields: list[str]) -> bytes:
    """A body built as text, so that what json.dumps cannot write (duplicates, NaN, depth) is sent."""
    shape = draw(st.sampled_from(["object", "object", "object", "top-level"]))
    if shape == "top-level":
        return draw(HOSTILE_FRAGMENTS).encode("utf-8")
    keys = draw(
        st.lists(st.sampled_from([*fields, "rater", "subjects", "\\ud800", "x"]), min_size=1, max_size=6)
    )
    if draw(st.booleans()):
        keys.append(draw(st.sampled_from(keys)))  # a duplicated key
    members = []
    for key in keys:
        value = draw(HOSTILE_FRAGMENTS)
        if draw(st.booleans()):  # one level down, inside a field
            value = (
                "{"
                + json.dumps(draw(st.sampled_from(["phone", "department", "name", "k"])))
                + ":"
                + value
                + "}"
            )
        quoted = f'"{key}"' if key.startswith("\\") else json.dumps(key)
        members.append(f"{quoted}:{value}")
    return ("{" + ",".join(members) + "}").encode("utf-8")


HOSTILE_VALUES = [
    "%ED%A0%80",
    "%F0%28%8C%28",
    "%00",
    "a%2Fb",
    "..",
    "jobs",
    "x" * 3000,
    "%E4%B8%AD",
    "1e400",
    "-1",
    "%20",
]
HOSTILE_PARAMETERS = st.sampled_from(HOSTILE_VALUES)

# Days at the ends of what a date can hold (a rule that looks back from 0001-01-01 overflows), and days
# that do not exist or are written otherwise.
DAYS = ["0001-01-01", "0001-01-31", "9999-12-31", "2026-02-30", "2026-W01-1", "20260101", "2026-1-1"]
HOSTILE_DAYS = st.sampled_from(DAYS)


@dataclass(frozen=True)
class ServedOperation:
    method: str
    path: str
    schemes: frozenset[str]  # the credentials it accepts
    fields: tuple[str, ...]  # the properties of its JSON body, if it takes one
    answers: frozenset[str]  # the media types of its successful answers
    queries: frozenset[str]  # the names of its query parameters


@pytest.fixture(scope="module")
def served_operations(api: Api, channel_headers: dict[str, str]) -> list[ServedOperation]:
    document = api.get("/v1/openapi.json", channel_headers).json()
    schemas = document["components"]["schemas"]

    def fields(operation: dict[str, Any]) -> tuple[str, ...]:
        schema = (
            operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        )
        return tuple(sorted(schemas.get(schema.get("$ref", "").rpartition("/")[2], {}).get("properties", {})))

    return [
        ServedOperation(
            method.upper(),
            path,
            frozenset(name for requirement in operation.get("security", []) for name in requirement),
            fields(operation),
            frozenset(
                media
                for status, response in operation.get("responses", {}).items()
                if status.startswith("2")
                for media in response.get("content", {})
            ),
            frozenset(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"),
        )
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_hostile_json_and_parameters_never_get_a_5xx_on_any_operation(
    data: st.DataObject,
    served_operations: list[ServedOperation],
    api: Api,
    channel_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    # Given any operation of the served document, with a credential it accepts
    operation = data.draw(st.sampled_from(served_operations))
    method, path = operation.method, operation.path
    headers = dict(channel_headers if "channelKey" in operation.schemes else admin_headers)
    # and hostile path and query values and a hostile JSON body
    for parameter in re.findall(r"{(\w+)}", path):
        path = path.replace(f"{{{parameter}}}", data.draw(HOSTILE_PARAMETERS, label=parameter))
    if data.draw(st.booleans(), label="with query"):
        name = data.draw(st.sampled_from(sorted(operation.queries) or ["parent"]), label="query name")
        path += f"?{name}=" + data.draw(HOSTILE_PARAMETERS | HOSTILE_DAYS, label=name)
    body = data.draw(hostile_json(list(operation.fields) or ["name"]), label="body")

    # When it is sent
    answer = api.request(method, path, headers={**headers, "Content-Type": "application/json"}, body=body)

    # Then it is never a 5xx, and every refusal is in the contract's shape
    assert answer.status < 500, f"{method} {path[:80]} {body[:200]!r} -> {answer}"
    content_type = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
    if answer.status < 400:  # in a media type the document declares (the public page is HTML)
        assert content_type.split(";")[0].strip() in operation.answers, (content_type, answer)
    if content_type.startswith("application/json"):
        document = answer.json()
    else:
        assert answer.status < 400, f"an error not in the contract's shape: {answer}"
    if answer.status >= 400:
        assert isinstance(document.get("error"), str) and isinstance(document.get("message"), str), answer
        if document["error"] == "validation":
            assert answer.status == 400 and isinstance(document.get("fields"), dict), answer


def test_every_query_parameter_takes_hostile_values_without_a_5xx(
    served_operations: list[ServedOperation],
    api: Api,
    channel_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    # Given every query parameter of every operation, and every hostile value and odd day
    values = [*HOSTILE_VALUES, *DAYS]
    failures = []
    for operation in served_operations:
        headers = channel_headers if "channelKey" in operation.schemes else admin_headers
        path = re.sub(r"{(\w+)}", "520000000000", operation.path)
        for name in sorted(operation.queries):
            for value in values:
                # When an admin (or a channel, where only a channel may call) sends it alone
                answer = api.request(operation.method, f"{path}?{name}={value}", headers=headers)
                # Then it is never a 5xx, and a refusal is in the contract's shape
                content_type = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
                if answer.status >= 500 or (
                    answer.status >= 400
                    and not (content_type.startswith("application/json") and "error" in answer.json())
                ):
                    failures.append(f"{operation.method} {path}?{name}={value[:40]} -> {str(answer)[:200]}")
    assert not failures, "\n".join(failures)


# --- 2. valid ratings, generated from the demo directory -----------------------------------------

CHANNELS = ["pc", "mobile", "qrcode", "hall_pad", "hall_terminal", "phone", "sms"]
GOOD_TAGS = list(GUIZHOU.tags.good)
BAD_TAGS = list(GUIZHOU.tags.bad)
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN_NAME_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


@dataclass(frozen=True)
class Directory:
    rows: dict[str, DirectoryRow]  # by code (codes do not repeat across kinds in the demo)
    staff: list[DirectoryRow]
    items_by_department: dict[str, list[str]]
    regions: list[str]

    def ancestors(self, code: str) -> list[DirectoryRow]:
        """The row itself, then its parents up to the province."""
        chain = []
        while code:
            row = self.rows[code]
            chain.append(row)
            code = row.parent
        return chain


@pytest.fixture(scope="module")
def directory(demo_directory: list[DirectoryRow]) -> Directory:
    items: dict[str, list[str]] = {}
    for row in demo_directory:
        if row.kind == "item":
            items.setdefault(row.parent, []).append(row.code)
    return Directory(
        rows={row.code: row for row in demo_directory},
        staff=[row for row in demo_directory if row.kind == "staff"],
        items_by_department=items,
        regions=[row.code for row in demo_directory if row.kind == "region"],
    )


def _short_forms(region: str) -> list[str]:
    """The forms a channel may send a 12-digit region code in: 12, and 9 or 6 digits when those are zero."""
    forms = [region]
    if region.endswith("000"):
        forms.append(region[:9])
    if region.endswith("000000"):
        forms.append(region[:6])
    return forms


def _within(code: str, ancestor: str) -> bool:
    significant = len(ancestor.rstrip("0"))
    significant = next(n for n in (2, 4, 6, 9, 12) if n >= significant)
    return code[:significant] == ancestor[:significant]


@st.composite
def subjects_of(draw: st.DrawFn, directory: Directory) -> tuple[dict[str, str], str | None, str]:
    """Subjects that agree with the directory; answers (subjects as sent, department, region served)."""
    if draw(st.integers(0, 5)) == 0:  # a rating of a region only (the administration office answers)
        region = draw(st.sampled_from(directory.regions))
        return {"region": draw(st.sampled_from(_short_forms(region)))}, None, region
    staff = draw(st.sampled_from(directory.staff))
    path = directory.ancestors(staff.code)
    by_kind: dict[str, str] = {}
    for row in path:
        by_kind.setdefault(row.kind, row.code)  # the nearest of each kind: the department's region
    department, department_region = by_kind["department"], by_kind["region"]
    subjects: dict[str, str] = {}
    include = draw(
        st.fixed_dictionaries({k: st.booleans() for k in ("department", "window", "staff", "item")})
    )
    if include["staff"]:
        subjects["staff"] = staff.code
    if "window" in by_kind and (include["window"] or include["staff"] and draw(st.booleans())):
        subjects["window"] = by_kind["window"]
    if include["item"] and directory.items_by_department.get(department):
        subjects["item"] = draw(st.sampled_from(directory.items_by_department[department]))
    regions_on_path = [row.code for row in path if row.kind == "region"]
    region = draw(st.none() | st.sampled_from(regions_on_path))
    if include["department"] or (not subjects and region is None) or draw(st.booleans()):
        subjects["department"] = department
    if region is not None:
        subjects["region"] = draw(st.sampled_from(_short_forms(region)))
    if "department" not in subjects and "region" not in subjects:
        subjects["department"] = department
    # The rating is served where the department is, unless a region inside it was named (never here).
    served_in = department_region if region is None or _within(department_region, region) else region
    if subjects.keys() == {"region"}:
        return subjects, None, region  # a region alone: no department answers it
    return subjects, department, served_in


@st.composite
def valid_ratings(draw: st.DrawFn, directory: Directory) -> tuple[dict[str, Any], str | None, str]:
    subjects, department, region = draw(subjects_of(directory))
    satisfaction = draw(st.integers(1, 5))
    tags = draw(
        st.lists(st.sampled_from(GOOD_TAGS if satisfaction >= 3 else BAD_TAGS), unique=True, max_size=4)
    )
    body: dict[str, Any] = {
        "channel": draw(st.sampled_from(CHANNELS)),
        "satisfaction": satisfaction,
        "subjects": subjects,
    }
    if tags or draw(st.booleans()):
        body["tags"] = tags
    # Text without control characters (400s by API.md), but with the line breaks a comment may hold
    letters = st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]) | st.sampled_from("\n\t")
    comment = draw(st.none() | st.text(letters, max_size=500))
    if comment is not None:
        body["comment"] = comment
    if satisfaction < 3 and not tags and not (comment or "").strip():
        # The demo province requires a bad rating's reason: a bad tag, where the comment is none.
        body["tags"] = [draw(st.sampled_from(BAD_TAGS))]
    if draw(st.booleans()):
        rater: dict[str, Any] = {"phone": draw(st.from_regex(MOBILE, fullmatch=True))}
        kind = draw(st.sampled_from(["person", "enterprise", None]))
        if kind:
            rater["kind"] = kind
        if draw(st.booleans()):
            rater["name"] = (
                "评价人"
                + draw(st.sampled_from(SURNAMES))
                + draw(st.text(st.sampled_from(GIVEN_NAME_CHARS), min_size=1, max_size=2))
            )
        body["rater"] = rater
    if draw(st.booleans()):
        moment = draw(
            st.datetimes(
                min_value=datetime(2020, 1, 1),
                max_value=datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5),
                timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
            )
        )
        body["rated_at"] = moment.isoformat()
    if draw(st.booleans()):
        body["case_no"] = f"GZ{uuid.uuid4().hex[:20]}"
    return body, department, region


@pytest.fixture(scope="module")
def rating_strategy(directory: Directory) -> st.SearchStrategy[tuple[dict[str, Any], str | None, str]]:
    return valid_ratings(directory)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_ratings_are_accepted_and_read_back_as_sent(
    data: st.DataObject,
    rating_strategy: st.SearchStrategy[tuple[dict[str, Any], str | None, str]],
    api: Api,
    channel_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    # Given a valid rating built from the demo directory, with a fresh client rating_id
    body, department, region = data.draw(rating_strategy)
    rating_id = f"hyp-{uuid.uuid4().hex}"
    body = {"rating_id": rating_id, **body}
    if "case_no" in body:
        body["case_no"] = f"GZ{uuid.uuid4().hex[:20]}"  # a case is rated once: fresh per run

    # When a channel submits it, and retries it unchanged
    first = api.post_rating(body, channel_headers)
    retry = api.post_rating(body, channel_headers)

    # Then it is created, the retry gets the same answer, and an admin reads it back as sent
    assert first.status == 201, f"{first} for {body}"
    good = body["satisfaction"] >= 3
    answer = first.json()
    assert answer["rating_id"] == rating_id and answer["good"] is good
    assert (answer["ticket_id"] is None) is good
    assert retry.status == 200, retry
    assert retry.json() == answer

    view = api.get(f"/v1/ratings/{rating_id}", admin_headers)
    assert view.status == 200, view
    got = view.json()
    expected_subjects = dict(body["subjects"])
    if "region" in expected_subjects:
        expected_subjects["region"] = expected_subjects["region"].ljust(12, "0")
    assert got["subjects"] == expected_subjects
    assert got["department"] == department
    assert got["region"] == region
    assert (got["channel"], got["satisfaction"], got["good"], got["valid"]) == (
        body["channel"],
        body["satisfaction"],
        good,
        True,
    )
    assert got["tags"] == body.get("tags", [])
    written = (body.get("comment") or "").strip() or None
    assert got["comment"] == (mask_free_text(written) if written else None)  # shown masked
    assert got["case_no"] == body.get("case_no")
    assert got["ticket_id"] == answer["ticket_id"]
    rater = body.get("rater")
    if rater:
        phone = rater["phone"]
        assert got["rater"]["named"] is True
        assert got["rater"]["phone"] == f"{phone[:3]}****{phone[-4:]}"
        assert got["rater"]["kind"] == rater.get("kind", "person")
        assert phone not in view.text and (rater.get("name") or phone) not in view.text
    else:
        assert got["rater"]["named"] is False and got["rater"]["phone"] is None
    if "rated_at" in body:
        assert datetime.fromisoformat(got["rated_at"]) == datetime.fromisoformat(body["rated_at"])
