"""The month's report (通报) of a region as a spreadsheet: the region's own figures and its departments'
and sub-regions' rankings over the period, cell for cell the numbers of GET /v1/reports/{region} (which
are those of GET /v1/indices and GET /v1/rankings). Written by openpyxl, a well-kept xlsx library:
hand-written Office Open XML would be longer and more fragile than the whole of this module."""

from __future__ import annotations

import io
from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (field, column heading) of each ranked row; rates are written as fractions with a percent format.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "名次"),
    ("code", "代码"),
    ("name", "名称"),
    ("valid", "有效评价"),
    ("good", "好评"),
    ("bad", "差评"),
    ("index", "好差评指数"),
    ("good_rate", "好评率"),
    ("bad_rate", "差评率"),
    ("rectification_rate", "整改率"),
    ("on_time_rate", "按时办结率"),
)
RATES = frozenset({"good_rate", "bad_rate", "rectification_rate", "on_time_rate"})
SHEETS = (("department", "部门排名"), ("region", "下级区划排名"))


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = "概况"
    region = report["region"]
    period = f"{report['from'] or '开始'} 至 {report['to'] or '今'}"
    summary.append([f"{region['name']}政务服务“好差评”通报"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["统计期间", period])
    summary.append(["区划代码", region["code"]])
    summary.append([])
    summary.append([heading for field, heading in COLUMNS if field not in {"rank", "code", "name"}])
    summary.append(
        [_cell(report["figures"], field) for field, _ in COLUMNS if field not in {"rank", "code", "name"}]
    )
    _percent(summary, 6, [f for f, _ in COLUMNS if f not in {"rank", "code", "name"}])
    summary.append([])
    summary.append([f"有效评价少于 {report['min_ratings']} 条的不参与排名（名次为空）"])
    for kind, title in SHEETS:
        sheet = book.create_sheet(title)
        sheet.append([heading for _, heading in COLUMNS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for entry in report["rankings"][kind]["entries"]:
            sheet.append([_cell(entry, field) for field, _ in COLUMNS])
            _percent(sheet, sheet.max_row, [f for f, _ in COLUMNS])
        sheet.column_dimensions["C"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(row: dict[str, Any], field: str) -> Any:
    return row.get(field)


def _percent(sheet: Any, row: int, fields: list[str]) -> None:
    for column, field in enumerate(fields, start=1):
        if field in RATES:
            sheet.cell(row=row, column=column).number_format = "0.0%"
