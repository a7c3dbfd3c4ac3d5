"""Region codes: the 12-digit statistical division codes (统计用区划代码).

Two digits of province, two of city, two of county, three of township, three of village. Channels send
6 (county-level administrative code), 9 (township) or 12 digits; everything inside the system is 12."""

from __future__ import annotations

import re
from enum import IntEnum

# A region code as channels may send it: 6, 9 or 12 digits (normalised to 12).
REGION_CODE = re.compile(r"[0-9]{6}|[0-9]{9}|[0-9]{12}")


class RegionLevel(IntEnum):
    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4  # 乡镇 / 街道
    VILLAGE = 5  # 村 / 社区


# How many leading digits are significant at each level.
_SIGNIFICANT = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


class InvalidRegionCode(ValueError):
    pass


def normalise_region_code(code: str) -> str:
    """6, 9 or 12 digits in, 12 digits out."""
    if not isinstance(code, str) or not REGION_CODE.fullmatch(code):
        raise InvalidRegionCode("a region code is 6, 9 or 12 digits")
    full = code.ljust(12, "0")
    if full[:2] == "00":
        raise InvalidRegionCode("a region code starts with a province's two digits")
    return full


def region_level(code: str) -> RegionLevel:
    """The level follows from which digits are non-zero (the code is normalised first)."""
    full = normalise_region_code(code)
    for level in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        if full[_SIGNIFICANT[level] :] == "0" * (12 - _SIGNIFICANT[level]):
            return level
    return RegionLevel.VILLAGE


def province_of(code: str) -> str:
    return normalise_region_code(code)[:2] + "0" * 10


def structural_parent(code: str) -> str | None:
    """The code of the level above by the code's structure; None for a province. The directory's
    explicit parent is what counts (directly administered counties skip the city level)."""
    level = region_level(code)
    if level is RegionLevel.PROVINCE:
        return None
    full = normalise_region_code(code)
    keep = _SIGNIFICANT[RegionLevel(level - 1)]
    return full[:keep] + "0" * (12 - keep)


def is_within(code: str, ancestor: str) -> bool:
    """Whether `code` lies in `ancestor` (or is it), by the code structure."""
    full, top = normalise_region_code(code), normalise_region_code(ancestor)
    keep = _SIGNIFICANT[region_level(top)]
    return full[:keep] == top[:keep]
