"""The index function's part of the OpenAPI document (functions/core/http/openapi.py assembles it).

The public disclosure, hot words, profiles and warnings come from analysis_openapi.py; the indices'
own routes (figures, rankings) add theirs here."""

from __future__ import annotations

from typing import Any

from functions.index.analysis_openapi import PATHS as ANALYSIS_PATHS
from functions.index.analysis_openapi import SCHEMAS as ANALYSIS_SCHEMAS

SCHEMAS: dict[str, Any] = {**ANALYSIS_SCHEMAS}
PATHS: dict[str, Any] = {**ANALYSIS_PATHS}
