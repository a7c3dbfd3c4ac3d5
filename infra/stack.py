"""One stack per province, built from named constructs. This foundation declares the data; the API,
ticket workflow, SMS and monitoring constructs join it in their issues."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Tags
from constructs import Construct

from functions.core.domain.province import ProvinceConfig
from infra.constructs.data import DataTables


class ProvinceStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, province: ProvinceConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("haochaping:province", province.code)
        self.data = DataTables(self, "Data", table_prefix=construct_id)
