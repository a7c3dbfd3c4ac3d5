"""A large directory through the API's bulk import (`POST /v1/directory/import`), chunk by chunk,
resumable after a crash.

The import route takes at most 50,000 rows (5 MB) a request and writes each file all or nothing, so a
province's directory goes up as a sequence of files whose parents come first. After each file the
server acknowledged, a checkpoint (a small JSON file) records how many are done; a new run with the
same checkpoint skips them and carries on. A crash between the server's write and the checkpoint
sends that file again, which the import answers as `unchanged`: nothing is written twice, nothing is
lost. Memory on both sides is one chunk, whatever the directory's size.

    python -m infra.local import-directory --url http://127.0.0.1:8000 [--size guizhou-full]
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from infra.provinces.directory_generator import GUIZHOU_FULL, DirectorySize, chunks, rows

DEFAULT_ROWS_PER_CHUNK = 20_000


class ImportInterrupted(Exception):
    """Raised by `crash_after` in tests and benchmarks: the importer stops as if killed."""


@dataclass
class ImportProgress:
    source: str
    rows_per_chunk: int
    chunks_done: int = 0
    rows_sent: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    chunk_seconds: list[float] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None, source: str, rows_per_chunk: int) -> ImportProgress:
        if path is not None and path.exists():
            saved = json.loads(path.read_text())
            # Another source or chunking: its chunk numbers mean other rows; start afresh.
            if saved.get("source") == source and saved.get("rows_per_chunk") == rows_per_chunk:
                return cls(**saved)
        return cls(source, rows_per_chunk)

    def save(self, path: Path | None) -> None:
        if path is None:
            return
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self)))
        temporary.replace(path)  # atomic: a crash leaves the old checkpoint or the new one


def post_csv(url: str, token: str, text: str, timeout: float = 600) -> dict[str, int]:
    request = urllib.request.Request(
        f"{url}/v1/directory/import",
        data=text.encode("utf-8"),
        headers={"content-type": "text/csv; charset=utf-8", "authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as refused:
        raise RuntimeError(f"import refused: {refused.code} {refused.read()[:500]!r}") from refused


def import_chunks(
    chunks: Iterator[str],
    send: Callable[[str], dict[str, int]],
    *,
    source: str,
    rows_per_chunk: int,
    checkpoint: Path | None = None,
    crash_after: int | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportProgress:
    """Send every chunk not yet acknowledged according to `checkpoint`; answers the totals."""
    state = ImportProgress.load(checkpoint, source, rows_per_chunk)
    for number, chunk in enumerate(chunks):
        if number < state.chunks_done:
            continue  # acknowledged by an earlier run: the same rows (the source is deterministic)
        if crash_after is not None and number >= crash_after:
            raise ImportInterrupted(f"stopped before chunk {number}")
        began = time.perf_counter()
        answer = send(chunk)
        spent = time.perf_counter() - began
        state.chunks_done = number + 1
        state.rows_sent += chunk.count("\n") - 1
        state.created += answer["created"]
        state.updated += answer["updated"]
        state.unchanged += answer["unchanged"]
        state.seconds += spent
        state.chunk_seconds.append(spent)
        state.save(checkpoint)
        if progress is not None:
            progress(state)
    return state


def import_generated(
    url: str,
    token: str,
    size_name: str,
    *,
    rows_per_chunk: int = DEFAULT_ROWS_PER_CHUNK,
    checkpoint: Path | None = None,
    crash_after: int | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportProgress:
    """One of the generated directories (`DIRECTORY_SIZES`) into the stack at `url`."""
    return import_chunks(
        chunks(rows(DIRECTORY_SIZES[size_name]), rows_per_chunk),
        lambda text: post_csv(url, token, text),
        source=size_name,
        rows_per_chunk=rows_per_chunk,
        checkpoint=checkpoint,
        crash_after=crash_after,
        progress=progress,
    )


# The generated directories by name, as DIRECTORY= and --size take them.
DIRECTORY_SIZES: dict[str, DirectorySize] = {
    "guizhou-full": GUIZHOU_FULL,
    "guizhou-10pct": GUIZHOU_FULL.scaled(0.1),
    "guizhou-1pct": GUIZHOU_FULL.scaled(0.01),
}
