"""The directory: parents, paths, subject resolution, bulk import."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.directory import SubjectKind, SubjectRef, required_refs, resolve_subjects
from functions.core.domain.errors import Conflict, NotFound, UnknownSubject, ValidationFailed
from infra.provinces import GUIZHOU
from tests.fakes import MemoryDirectory, MemoryDirectoryService, demo_directory

K = SubjectKind


@pytest.fixture(scope="module")
def demo():
    return demo_directory()


def resolve(store, **subjects):
    named = {K(kind): code for kind, code in subjects.items()}
    return resolve_subjects(named, store.get_many(required_refs(named)))


def test_the_demo_directory_has_a_province_cities_counties_and_townships(demo):
    regions = [e for e in demo.entries.values() if e.kind is K.REGION]
    levels = {e.level.name for e in regions}
    assert {"PROVINCE", "CITY", "COUNTY", "TOWNSHIP", "VILLAGE"} <= levels
    assert sum(e.level.name == "CITY" for e in regions) >= 3
    assert all(e.code.startswith("52") and len(e.code) == 12 for e in regions)
    for kind in (K.DEPARTMENT, K.ITEM, K.WINDOW, K.STAFF):
        assert any(e.kind is kind for e in demo.entries.values())


def test_a_staff_member_knows_the_full_path_up_to_the_province(demo):
    staff = demo.entries[SubjectRef(K.STAFF, "S520102010101")]
    assert [step.kind for step in staff.path] == [
        K.STAFF,
        K.WINDOW,
        K.DEPARTMENT,
        K.REGION,
        K.REGION,
        K.REGION,
    ]
    assert staff.path[-1].code == GUIZHOU.code


def test_a_rating_of_a_staff_member_counts_for_everything_on_the_path(demo):
    resolved = resolve(demo, staff="S520102010101")
    assert resolved.department == "D52010201"
    assert resolved.region == "520102000000"
    assert set(resolved.paths) == {
        "staff#S520102010101",
        "window#W5201020101",
        "department#D52010201",
        "region#520102000000",
        "region#520100000000",
        "region#520000000000",
    }


def test_an_item_and_window_of_the_same_department_agree(demo):
    resolved = resolve(demo, department="D52010201", item="I5201020101", window="W5201020101")
    assert {"item#I5201020101", "window#W5201020101"} <= set(resolved.paths)


def test_a_township_named_with_a_county_department_counts_for_the_township(demo):
    resolved = resolve(demo, department="D52010201", region="520102016000")
    assert resolved.region == "520102016000"
    assert "region#520102016000" in resolved.paths


def test_a_region_alone_routes_to_no_department(demo):
    resolved = resolve(demo, region="520100000000")
    assert resolved.department is None and resolved.paths == ("region#520000000000", "region#520100000000")


def test_a_window_of_another_department_contradicts_the_directory(demo):
    with pytest.raises(UnknownSubject) as caught:
        resolve(demo, department="D52010202", window="W5201020101")
    assert "window" in caught.value.details["subjects"]


def test_a_region_unrelated_to_the_department_contradicts_the_directory(demo):
    with pytest.raises(UnknownSubject):
        resolve(demo, department="D52010201", region="520300000000")


def test_unknown_codes_are_named(demo):
    with pytest.raises(UnknownSubject) as caught:
        resolve(demo, department="D52010201", staff="S-nobody")
    assert caught.value.details["subjects"] == {"staff": "S-nobody"}


def test_put_checks_parents_and_the_province():
    store = MemoryDirectory()
    service = MemoryDirectoryService(store)
    assert service.put("region", "520000", {"name": "贵州省"}).created is True
    assert (
        service.put("region", "520100", {"name": "贵阳市", "parent": "520000"}).entry.code == "520100000000"
    )
    with pytest.raises(UnknownSubject):
        service.put("region", "110101", {"name": "东城区", "parent": "110100"})
    with pytest.raises(ValidationFailed):  # a city cannot sit under a county of another city
        service.put("region", "520300", {"name": "遵义市", "parent": "520100"})
    with pytest.raises(UnknownSubject):
        service.put("department", "D1", {"name": "某局", "parent": "520199"})
    with pytest.raises(ValidationFailed):
        service.put("department", "D1", {"name": "", "parent": "520100"})
    with pytest.raises(ValidationFailed):
        service.put("kiosk", "K1", {"name": "x", "parent": "520100"})
    entry, created, _ = service.put("department", "D1", {"name": "贵阳市某局", "parent": "520100"})
    assert created and entry.parent == SubjectRef(K.REGION, "520100000000")
    assert (
        service.put("department", "D1", {"name": "贵阳市某局（更名）", "parent": "520100"}).created is False
    )


def test_staff_may_sit_under_a_window_or_directly_under_a_department():
    store = MemoryDirectory()
    service = MemoryDirectoryService(store)
    service.put("region", "520000", {"name": "贵州省"})
    service.put("department", "D1", {"name": "局", "parent": "520000"})
    service.put("window", "W1", {"name": "窗口", "parent": "D1"})
    assert service.put("staff", "S1", {"name": "工号 1", "parent": "W1"}).entry.parent.kind is K.WINDOW
    assert service.put("staff", "S2", {"name": "工号 2", "parent": "D1"}).entry.parent.kind is K.DEPARTMENT


def test_a_rename_touches_no_descendant_and_shows_at_once():
    store = demo_directory()
    service = MemoryDirectoryService(store)
    writes = store.writes
    outcome = service.put("region", "520102", {"name": "南明区（新）", "parent": "520100"})
    assert outcome.job is None and store.writes == writes + 1
    shown = service.show(service.get("staff", "S520102010101"))
    assert [s["name"] for s in shown["path"] if s["kind"] == "region"][0] == "南明区（新）"


def test_a_move_with_descendants_is_a_job_that_rewrites_their_paths():
    store = demo_directory()
    service = MemoryDirectoryService(store, budget=3)  # small chunks: the job resumes many times
    outcome = service.put("window", "W5201020101", {"name": "综合受理窗口1号", "parent": "D52010202"})
    assert outcome.job is not None and service.queue.sent == [outcome.job.job_id]
    # Until the job runs, the window has moved and its staff still carry the old path
    assert service.get("staff", "S520102010101").nearest(K.DEPARTMENT).code == "D52010201"
    assert service.run_jobs() >= 1
    assert service.get("staff", "S520102010101").nearest(K.DEPARTMENT).code == "D52010202"
    job = service.job(outcome.job.job_id)
    assert job.status == "done" and job.processed >= 1


def test_a_county_move_rewrites_every_descendant_in_bounded_chunks():
    store = demo_directory()
    service = MemoryDirectoryService(store, budget=10)
    subtree = [e for e in store.entries.values() if SubjectRef(K.REGION, "520181000000") in e.ancestors]
    outcome = service.put("region", "520181", {"name": "清镇市", "parent": "520000"})  # 省直管
    chunks = service.run_jobs()
    assert chunks >= len(subtree) // 10
    assert subtree and outcome.job is not None
    for entry in subtree:
        # Then every descendant's path runs through the county straight to the province
        ancestors = store.entries[entry.ref].ancestors
        assert ancestors[-2:] == (SubjectRef(K.REGION, "520181000000"), SubjectRef(K.REGION, GUIZHOU.code))
    assert service.job(outcome.job.job_id).processed == len(subtree)


def test_a_second_move_waits_for_the_first():
    service = MemoryDirectoryService(demo_directory())
    service.put("window", "W5201020101", {"name": "窗口", "parent": "D52010202"})
    with pytest.raises(Conflict):
        service.put("window", "W5201020102", {"name": "窗口", "parent": "D52010202"})
    service.run_jobs()
    assert service.put("window", "W5201020101", {"name": "窗口", "parent": "D52010201"}).job is not None


def test_a_parent_of_the_wrong_kind_says_what_it_is():
    service = MemoryDirectoryService(demo_directory())
    with pytest.raises(ValidationFailed) as caught:
        service.put("item", "I-new", {"name": "事项", "parent": "W5201020101"})
    assert caught.value.fields["parent"] == "W5201020101 is a window; a item's parent must be a department"


@pytest.mark.parametrize(
    "csv_text, line, why",
    [
        ("kind,code,name,parent\nregion,520000," + "x" * 200_000 + ",\n", "line 2", "longer than"),
        (
            'kind,code,name,parent\nregion,520000,"贵州省,\nregion,520100,贵阳市,520000\n',
            "line 2",
            "never closed",
        ),
        ('kind,code,name,parent\nregion,520000,"贵州"省,\n', "line 2", "not valid CSV"),
        ("kind,code,name,parent\nregion,520000,贵州\x07省,\n", "line 2", "control character"),
    ],
)
def test_malformed_csv_names_the_line(csv_text, line, why):
    with pytest.raises(ValidationFailed) as caught:
        MemoryDirectoryService().import_csv(csv_text)
    assert why in caught.value.fields[line]


def test_old_mac_line_endings_are_read_as_line_ends():
    service = MemoryDirectoryService()
    result = service.import_csv("kind,code,name,parent\rregion,520000,贵州省,\rregion,520100,贵阳市,520000\r")
    assert result.created == 2


def test_a_name_with_a_lone_surrogate_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        MemoryDirectoryService().put("region", "520000", {"name": "贵州\ud800"})
    assert "surrogate" in caught.value.fields["name"]


def test_listing_children_and_the_province():
    service = MemoryDirectoryService(demo_directory())
    parent, province = service.children("region", None)
    assert parent is None and [e.code for e in province] == [GUIZHOU.code]
    _, cities = service.children("region", "520000")
    assert {"520100000000", "520200000000", "520300000000"} <= {e.code for e in cities}
    with pytest.raises(ValidationFailed):
        service.children("window", None)
    with pytest.raises(NotFound):
        service.get("staff", "S-nobody")


def test_an_import_with_one_bad_row_stores_nothing():
    store = MemoryDirectory()
    service = MemoryDirectoryService(store)
    csv_text = (
        "kind,code,name,parent\nregion,520000,贵州省,\nregion,520100,贵阳市,520000\ndepartment,D1,局,999999\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        service.import_csv(csv_text)
    assert "line 4" in caught.value.fields
    assert store.writes == 0


def test_an_import_takes_rows_in_any_order_and_counts_what_changed():
    store = MemoryDirectory()
    service = MemoryDirectoryService(store)
    csv_text = "kind,code,name,parent\nstaff,S1,工号 1,W1\nwindow,W1,窗口,D1\ndepartment,D1,局,520100\nregion,520100,贵阳市,520000\nregion,520000,贵州省,\n"
    assert service.import_csv(csv_text).as_dict() == {
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "job_id": None,
    }
    again = csv_text.replace("窗口", "窗口（新）")
    # Paths hold codes: renaming the window changes the window alone.
    assert service.import_csv(again).as_dict() == {"created": 0, "updated": 1, "unchanged": 4, "job_id": None}
    moved = (
        again.replace("window,W1,窗口（新）,D1", "window,W1,窗口（新）,D2") + "department,D2,局二,520100\n"
    )
    result = service.import_csv(moved)
    assert (result.created, result.updated) == (1, 2) and result.job_id is not None  # the window and S1
    service.run_jobs()
    assert SubjectRef(K.DEPARTMENT, "D2") in store.entries[SubjectRef(K.STAFF, "S1")].ancestors


def test_an_import_needs_the_header():
    with pytest.raises(ValidationFailed):
        MemoryDirectoryService().import_csv("region,520000,贵州省,\n")


DEMO = demo_directory()
STAFF = sorted(ref.code for ref in DEMO.entries if ref.kind is K.STAFF)
ITEMS = sorted(ref.code for ref in DEMO.entries if ref.kind is K.ITEM)


@given(st.sampled_from(STAFF), st.sampled_from(ITEMS), st.booleans(), st.booleans())
def test_paths_are_exactly_the_named_subjects_and_their_ancestors(
    staff_code, item_code, with_window, with_item
):
    # Given a staff member, optionally their window, their department and perhaps an item
    staff = DEMO.entries[SubjectRef(K.STAFF, staff_code)]
    department = staff.nearest(K.DEPARTMENT).code
    subjects = {K.STAFF: staff_code, K.DEPARTMENT: department}
    if with_window and staff.parent.kind is K.WINDOW:
        subjects[K.WINDOW] = staff.parent.code
    item = DEMO.entries[SubjectRef(K.ITEM, item_code)]
    if with_item:
        subjects[K.ITEM] = item_code
    entries = DEMO.get_many(required_refs(subjects))
    same_department = item.parent.code == department
    if with_item and not same_department:
        # Then an item of another department contradicts the directory
        with pytest.raises(UnknownSubject):
            resolve_subjects(subjects, entries)
        return
    # Then the rating counts for every subject on the named subjects' paths, and nothing else
    resolved = resolve_subjects(subjects, entries)
    expected = {step.key for kind, code in subjects.items() for step in entries[SubjectRef(kind, code)].path}
    assert set(resolved.paths) == expected
    assert len(resolved.paths) == len(set(resolved.paths))
    assert resolved.department == department
    assert f"region#{GUIZHOU.code}" in resolved.paths


def test_a_job_whose_message_was_lost_resumes_at_the_next_move():
    # Given a queue that is down when a window with staff is moved
    service = MemoryDirectoryService(demo_directory())
    service.queue.send = lambda job_id: (_ for _ in ()).throw(ConnectionError("queue unavailable"))
    with pytest.raises(ConnectionError):
        service.put("window", "W5201020101", {"name": "窗口", "parent": "D52010202"})
    (job,) = service.jobs.jobs.values()
    assert job.status == "running"

    # When the queue is back and an admin tries another move
    service.queue.send = service.queue.sent.append
    with pytest.raises(Conflict):
        service.put("window", "W5201020102", {"name": "窗口", "parent": "D52010202"})

    # Then the stalled job was queued again and runs to its end, after which moves may start
    assert service.queue.sent == [job.job_id]
    service.run_jobs()
    assert service.get("staff", "S520102010101").nearest(K.DEPARTMENT).code == "D52010202"
    assert service.put("window", "W5201020102", {"name": "窗口", "parent": "D52010202"}).job is not None


def test_a_move_whose_entry_cannot_be_written_ends_its_job():
    service = MemoryDirectoryService(demo_directory())
    service.store.put = lambda entry: (_ for _ in ()).throw(ConnectionError("table unavailable"))
    with pytest.raises(ConnectionError):
        service.put("window", "W5201020101", {"name": "窗口", "parent": "D52010202"})
    assert [job.status for job in service.jobs.jobs.values()] == ["done"] and service.queue.sent == []


def test_a_duplicated_message_neither_repeats_nor_skips_part_of_the_subtree():
    # Given a county move whose message is delivered twice, in small chunks
    store = demo_directory()
    service = MemoryDirectoryService(store, budget=4)
    subtree = [e for e in store.entries.values() if SubjectRef(K.REGION, "520181000000") in e.ancestors]
    outcome = service.put("region", "520181", {"name": "清镇市", "parent": "520000"})
    service.queue.sent.append(outcome.job.job_id)

    # When every message is delivered
    service.run_jobs()

    # Then each descendant was counted once and every path is right
    job = service.job(outcome.job.job_id)
    assert job.status == "done" and job.processed == len(subtree)
    assert all(
        store.entries[e.ref].ancestors[-2:][0] == SubjectRef(K.REGION, "520181000000") for e in subtree
    )
