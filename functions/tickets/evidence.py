"""Evidence files (佐证资料) a department uploads and cites in a ticket's actions: what is accepted, and
what a cited file must be. No AWS here (functions.tickets.workflow.EvidenceUploads is the adapter).

- Types: what a department needs to show what happened — photographs and screenshots (JPEG, PNG) and
  documents (PDF). Nothing a browser runs or renders as a page (no HTML, SVG, scripts, executables).
- Size: at most MAX_BYTES (10 MB: a scanned multi-page PDF or a phone photograph).
- Written once: every upload gets a new key; S3 enforces the declared type, the size range and the
  key (a pre-signed POST policy). The same form may be replayed until it expires, so a cited file must
  have exactly one version (a replay before citing is refused), and the trail records the version
  cited, which is the one ever served (the bucket is versioned: a replay after citing changes nothing).
- Bounded: at most MAX_PER_TICKET keys per ticket, issued only while the ticket takes evidence (open,
  contacted or rectifying: before an appeal or a reply).
- Checked when cited: the object exists, has one version, the type of its key, a size within range,
  and starts with that type's signature (moto, behind the local stack, enforces no POST policy: these
  checks are what make the local stack refuse what S3 would).
- Served to people in scope only, as a download: a pre-signed GET of the cited version with
  `Content-Disposition: attachment` and the checked type, never rendered as a page."""

from __future__ import annotations

from typing import Any, NamedTuple

from functions.core.domain.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_TICKET = 20
# content type → (file extension, the signature its first bytes carry)
TYPES: dict[str, tuple[str, bytes]] = {
    "image/jpeg": ("jpg", b"\xff\xd8\xff"),
    "image/png": ("png", b"\x89PNG\r\n\x1a\n"),
    "application/pdf": ("pdf", b"%PDF-"),
}
SIGNATURE_BYTES = max(len(signature) for _, signature in TYPES.values())


class EvidenceRequest(NamedTuple):
    content_type: str
    size: int

    @property
    def extension(self) -> str:
        return TYPES[self.content_type][0]


class StoredFile(NamedTuple):
    """What S3 holds under a key: its versions, and the newest one's type, size and first bytes."""

    versions: int
    version_id: str
    content_type: str
    size: int
    head: bytes


def parse_request(body: Any) -> EvidenceRequest:
    """`{"content_type", "size"}` of the file about to be uploaded."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    errors = {name: "unknown field" for name in sorted(set(body) - {"content_type", "size"})}
    content_type = body.get("content_type")
    if not isinstance(content_type, str) or content_type not in TYPES:
        errors["content_type"] = f"one of {', '.join(TYPES)}"
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_BYTES:
        errors["size"] = f"the file's size in bytes, from 1 to {MAX_BYTES}"
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(content_type, str) and isinstance(size, int)
    return EvidenceRequest(content_type, size)


def type_of_key(key: str) -> str | None:
    """The content type a key was issued for (its extension)."""
    extension = key.rpartition(".")[2]
    return next((t for t, (ext, _) in TYPES.items() if ext == extension), None)


def problem_with(key: str, stored: StoredFile | None) -> str | None:
    """Why a cited key cannot stand as evidence, or None when it can."""
    expected = type_of_key(key)
    if stored is None or expected is None:
        return "was never uploaded"
    if stored.versions != 1:
        return "was uploaded more than once; upload the file again under a new key"
    if stored.content_type.split(";")[0].strip().lower() != expected:
        return f"is not the {expected} it was issued for"
    if not 1 <= stored.size <= MAX_BYTES:
        return f"is not between 1 and {MAX_BYTES} bytes"
    if not stored.head.startswith(TYPES[expected][1]):
        return f"is not a {expected} file"
    return None


def check_cited(files: dict[str, StoredFile | None]) -> dict[str, str]:
    """key → the version cited, or ValidationFailed naming how many keys fail and why (keys only)."""
    problems = [f"{key} {why}" for key, stored in files.items() if (why := problem_with(key, stored))]
    if problems:
        raise ValidationFailed({"evidence": "; ".join(problems)})
    return {key: stored.version_id for key, stored in files.items() if stored is not None}


def download_name(key: str) -> str:
    """The file name a download is saved under: the key's last part (hex and extension only)."""
    return key.rpartition("/")[2]
