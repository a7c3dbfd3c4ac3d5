"""A scaled-down Guizhou directory through the API's bulk import, chunk by chunk, stopped by a crash
and resumed from its checkpoint: every entry arrives once (the full size runs in make bench:
tests.bench.directory_scale)."""

from __future__ import annotations

import json
from itertools import islice
from typing import Any

import pytest

from infra.local.directory_import import ImportInterrupted, import_chunks
from infra.provinces.directory_generator import GUIZHOU_FULL, chunks, rows

SIZE = GUIZHOU_FULL.scaled(0.002)
PER_CHUNK = 400


def sender(api: Any, rate_stack: Any) -> Any:
    headers = {**rate_stack.token("admin"), "content-type": "text/csv"}

    def send(text: str) -> dict[str, int]:
        answer = api.http.post("/v1/directory/import", headers=headers, body=text.encode())
        assert answer.status_code == 200, answer.body
        return json.loads(answer.body)  # type: ignore[no-any-return]

    return send


def test_an_import_stopped_by_a_crash_resumes_and_every_entry_arrives_once(api, rate_stack, tmp_path) -> None:
    send = sender(api, rate_stack)
    checkpoint = tmp_path / "import.json"
    total = sum(1 for _ in rows(SIZE))
    # Given an import that crashed after its first chunk was acknowledged
    with pytest.raises(ImportInterrupted):
        import_chunks(
            chunks(rows(SIZE), PER_CHUNK),
            send,
            source="s",
            rows_per_chunk=PER_CHUNK,
            checkpoint=checkpoint,
            crash_after=1,
        )
    # and whose second chunk reached the server although the checkpoint never recorded it
    send(next(islice(chunks(rows(SIZE), PER_CHUNK), 1, None)))
    # When it runs again with the same checkpoint
    done = import_chunks(
        chunks(rows(SIZE), PER_CHUNK), send, source="s", rows_per_chunk=PER_CHUNK, checkpoint=checkpoint
    )
    # Then every row was sent, the re-sent chunk changed nothing, and the first was not sent again
    assert done.rows_sent == total
    assert done.created + done.updated + done.unchanged == total
    assert done.unchanged >= PER_CHUNK
    # And entries read back with their generated names and full paths
    for row in islice(rows(SIZE), 0, None, 97):
        answer = api.http.get(f"/v1/directory/{row.kind}/{row.code}", headers={"x-api-key": "local-demo-key"})
        assert answer.status_code == 200, (row, answer.body)
        entry = json.loads(answer.body)
        assert entry["name"] == row.name
        assert entry["path"][-1]["code"] == "520000000000"
