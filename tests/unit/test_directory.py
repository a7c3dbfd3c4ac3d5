"""The directory: parents, paths, subject resolution, bulk import."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.directory import SubjectKind, SubjectRef, required_refs, resolve_subjects
from functions.core.domain.directory_service import DirectoryService
from functions.core.domain.errors import NotFound, UnknownSubject, ValidationFailed
from infra.provinces import GUIZHOU
from tests.fakes import MemoryDirectory, demo_directory

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
    assert staff.path[-1].code == GUIZHOU.code and staff.path[-1].name == "贵州省"


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
    service = DirectoryService(store, GUIZHOU.code)
    assert service.put("region", "520000", {"name": "贵州省"})[1] is True
    assert service.put("region", "520100", {"name": "贵阳市", "parent": "520000"})[0].code == "520100000000"
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
    entry, created = service.put("department", "D1", {"name": "贵阳市某局", "parent": "520100"})
    assert created and entry.parent == SubjectRef(K.REGION, "520100000000")
    assert service.put("department", "D1", {"name": "贵阳市某局（更名）", "parent": "520100"})[1] is False


def test_staff_may_sit_under_a_window_or_directly_under_a_department():
    store = MemoryDirectory()
    service = DirectoryService(store, GUIZHOU.code)
    service.put("region", "520000", {"name": "贵州省"})
    service.put("department", "D1", {"name": "局", "parent": "520000"})
    service.put("window", "W1", {"name": "窗口", "parent": "D1"})
    assert service.put("staff", "S1", {"name": "工号 1", "parent": "W1"})[0].parent.kind is K.WINDOW
    assert service.put("staff", "S2", {"name": "工号 2", "parent": "D1"})[0].parent.kind is K.DEPARTMENT


def test_renaming_or_moving_an_entry_refreshes_its_descendants_paths():
    store = demo_directory()
    service = DirectoryService(store, GUIZHOU.code)
    service.put("region", "520102", {"name": "南明区（新）", "parent": "520100"})
    staff = service.get("staff", "S520102010101")
    assert [s.name for s in staff.path if s.kind is K.REGION][0] == "南明区（新）"
    service.put("window", "W5201020101", {"name": "综合受理窗口1号", "parent": "D52010202"})
    moved = service.get("staff", "S520102010101")
    assert moved.nearest(K.DEPARTMENT).code == "D52010202"


def test_listing_children_and_the_province():
    service = DirectoryService(demo_directory(), GUIZHOU.code)
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
    service = DirectoryService(store, GUIZHOU.code)
    csv_text = (
        "kind,code,name,parent\nregion,520000,贵州省,\nregion,520100,贵阳市,520000\ndepartment,D1,局,999999\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        service.import_csv(csv_text)
    assert "line 4" in caught.value.fields
    assert store.writes == 0


def test_an_import_takes_rows_in_any_order_and_counts_what_changed():
    store = MemoryDirectory()
    service = DirectoryService(store, GUIZHOU.code)
    csv_text = "kind,code,name,parent\nstaff,S1,工号 1,W1\nwindow,W1,窗口,D1\ndepartment,D1,局,520100\nregion,520100,贵阳市,520000\nregion,520000,贵州省,\n"
    assert service.import_csv(csv_text)._asdict() == {"created": 5, "updated": 0, "unchanged": 0}
    again = csv_text.replace("窗口", "窗口（新）")
    # The staff member's stored path names the window, so it changes with it.
    assert service.import_csv(again)._asdict() == {"created": 0, "updated": 2, "unchanged": 3}
    assert store.entries[SubjectRef(K.STAFF, "S1")].ancestors[0].name == "窗口（新）"


def test_an_import_needs_the_header():
    with pytest.raises(ValidationFailed):
        DirectoryService(MemoryDirectory(), GUIZHOU.code).import_csv("region,520000,贵州省,\n")


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
    expected = {
        step.ref.key for kind, code in subjects.items() for step in entries[SubjectRef(kind, code)].path
    }
    assert set(resolved.paths) == expected
    assert len(resolved.paths) == len(set(resolved.paths))
    assert resolved.department == department
    assert f"region#{GUIZHOU.code}" in resolved.paths
