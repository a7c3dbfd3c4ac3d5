"""The console's page headers: the shared policy (functions/core/http/headers.py) with the origins the
console also calls (the identity provider's token endpoint, the evidence bucket's pre-signed uploads)."""

from __future__ import annotations

from collections.abc import Iterable

from functions.core.http.headers import content_security_policy as shared_policy
from functions.core.http.headers import html_headers


def content_security_policy(connect: Iterable[str] = ()) -> str:
    return shared_policy(extra_connect_src=sorted({origin for origin in connect if origin}))


def page_headers(connect: Iterable[str] = ()) -> dict[str, str]:
    return html_headers(extra_connect_src=sorted({origin for origin in connect if origin}))
