"""`national_code` on directory entries (API.md, Directory): what the upward export needs."""

from __future__ import annotations

import pytest

from functions.core.domain.errors import ValidationFailed
from functions.core.storage.directory import entry_to_item, item_to_entry
from tests.fakes import MemoryDirectory, MemoryDirectoryService

DEPT_USCC = "11520000MB1234567X"


def service() -> MemoryDirectoryService:
    directory = MemoryDirectoryService(MemoryDirectory())
    directory.put("region", "520000", {"name": "贵州省"})
    directory.put("region", "520100", {"name": "贵阳市", "parent": "520000"})
    return directory


def test_items_windows_and_departments_carry_a_national_code_shown_and_stored():
    directory = service()
    dept = directory.put("department", "D1", {"name": "局", "parent": "520100", "national_code": DEPT_USCC})
    item = directory.put("item", "I1", {"name": "事项", "parent": "D1", "national_code": "X" * 31})
    assert dept.entry.national_code == DEPT_USCC
    assert directory.show(item.entry)["national_code"] == "X" * 31
    assert item_to_entry(entry_to_item(item.entry)) == item.entry
    # an entry without one shows none
    plain = directory.put("window", "W1", {"name": "窗口", "parent": "D1"})
    assert "national_code" not in directory.show(plain.entry)


@pytest.mark.parametrize(
    ("kind", "code", "body"),
    [
        ("region", "520102", {"name": "南明区", "parent": "520100", "national_code": "520102"}),
        ("department", "D2", {"name": "局", "parent": "520100", "national_code": "含中文"}),
        ("department", "D3", {"name": "局", "parent": "520100", "national_code": 12}),
    ],
)
def test_a_national_code_on_another_kind_or_malformed_is_refused(kind, code, body):
    with pytest.raises(ValidationFailed) as refused:
        service().put(kind, code, body)
    assert "national_code" in refused.value.fields


def test_the_csv_import_takes_an_optional_national_code_column():
    directory = service()
    directory.import_csv(
        f"kind,code,name,parent,national_code\ndepartment,D9,局,520100,{DEPT_USCC}\nitem,I9,事项,D9,\n"
    )
    assert directory.get("department", "D9").national_code == DEPT_USCC
    assert directory.get("item", "I9").national_code is None
    # the four-column header still works
    directory.import_csv("kind,code,name,parent\nwindow,W9,窗口,D9\n")
    assert directory.get("window", "W9").national_code is None


def test_a_move_keeps_the_descendants_national_codes():
    directory = service()
    directory.put("region", "520200", {"name": "六盘水市", "parent": "520000"})
    directory.put("department", "D1", {"name": "局", "parent": "520100"})
    directory.put("item", "I1", {"name": "事项", "parent": "D1", "national_code": "Y" * 31})
    directory.put("department", "D1", {"name": "局", "parent": "520200"})
    directory.run_jobs()
    moved = directory.get("item", "I1")
    assert moved.national_code == "Y" * 31
    assert moved.ancestors[1].code == "520200000000"
