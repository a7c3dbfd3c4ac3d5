"""Satisfaction levels as the provincial interfaces code them (5 best … 1 worst), and the national
order of GB/T 39046-2020 table A.8, which runs the other way and is used only for the national export."""

from __future__ import annotations

from enum import IntEnum


class Satisfaction(IntEnum):
    VERY_SATISFIED = 5  # 非常满意
    SATISFIED = 4  # 满意
    BASICALLY_SATISFIED = 3  # 基本满意
    DISSATISFIED = 2  # 不满意
    VERY_DISSATISFIED = 1  # 非常不满意

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def good(self) -> bool:
        """3, 4 and 5 are good ratings; 1 and 2 are bad ratings and open a ticket."""
        return self >= Satisfaction.BASICALLY_SATISFIED

    @property
    def national_code(self) -> int:
        """GB/T 39046-2020 table A.8: 1 = 非常满意 … 5 = 非常不满意."""
        return 6 - int(self)

    @classmethod
    def from_national_code(cls, code: int) -> Satisfaction:
        if not 1 <= code <= 5:
            raise ValueError(f"national satisfaction code must be 1..5, not {code}")
        return cls(6 - code)


_LABELS = {
    Satisfaction.VERY_SATISFIED: "非常满意",
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.DISSATISFIED: "不满意",
    Satisfaction.VERY_DISSATISFIED: "非常不满意",
}
