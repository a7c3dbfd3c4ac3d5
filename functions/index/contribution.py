"""What one rating adds to the counters of every subject it counts for: a pure function of the rating
as stored (the stream image), returning flat {field: int}.

The counters hold only what cannot be derived: the valid ratings per level (good, bad, valid, the score
sum and the index follow from them and the province's score table at read time, so a changed score
table applies to the whole history at once), all ratings (invalid = all − valid), tags, and the ticket
outcomes the tickets process writes onto the rating item (COMMON contract 2). An invalid rating (appeal
approved) counts only in `n`: it drops out of every index and rate.

A stream MODIFY adds new − old (`changes`), so the counters always equal a recount of the ratings in
their current state. Other capabilities add their own fields through `EXTRA_CONTRIBUTORS` (hot words:
`hw:good:<word>`); every contributor must be deterministic, because the old image's contribution is
recomputed when it is subtracted, possibly months later."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, NamedTuple

# Field names. Short, because every counter item stores them; clear, because figures read them.
TOTAL = "n"  # every rating, valid or not
VALID_LEVEL = "v{}"  # v1 … v5: valid ratings per satisfaction level
TAG = "tag:{}"  # valid ratings that ticked the tag
RECTIFIED = "rectified"  # valid bad ratings whose department reported the rectification
FINISHED = "finished"  # valid bad ratings whose ticket ended
ON_TIME = "on_time"  # … of which no stage was ever overdue
NAMED_BAD = "named_bad"  # valid bad ratings by a named rater
NAMED_REPLIED = "named_replied"  # … of which the rater was given the reply
# Default ratings (系统默认评价), counted or not at their level (the province's rule when made).
DEFAULTS = "defaults"
SUB_SCORE_PREFIX = "ss:"
# ss:<dimension>:<level>: valid ratings that gave the dimension that score
SUB_SCORE = SUB_SCORE_PREFIX + "{}:{}"
# From the cases table's stream (functions/index/case_counts.py), not from ratings: completed cases (办结)
# on the day they were completed, and those of them that hold a rating (the active rating rate).
CASES_COMPLETED = "cases"
CASES_RATED = "cases_rated"
LEVELS = (1, 2, 3, 4, 5)
GOOD_LEVELS = (3, 4, 5)
BAD_LEVELS = (1, 2)


class PoisonRecord(ValueError):
    """A stream image that cannot be counted (not a rating, or missing what counting needs)."""


class TicketOutcome(NamedTuple):
    rectified: bool = False
    replied: bool = False
    finished: bool = False
    on_time: bool = False


class RatingImage(NamedTuple):
    """A rating as its stream image shows it: what contributors count from. No personal data: `named`
    says only whether a rater left a phone number."""

    rating_id: str
    satisfaction: int
    valid: bool
    paths: tuple[str, ...]  # kind#code of every subject the rating counts for
    day: str  # YYYY-MM-DD, local day of the rating
    tags: tuple[str, ...]
    comment: str | None
    named: bool
    ticket: TicketOutcome
    sub_scores: Mapping[str, int] = {}
    default: bool = False  # 系统默认评价
    counted: bool = True  # a default rating counted at its level
    replaced: bool = False  # replaced by a later rating of the case: counts nowhere

    @property
    def good(self) -> bool:
        return self.satisfaction >= 3

    @property
    def counts(self) -> bool:
        """Whether it counts at its level at all (valid or not): not replaced, not an uncounted default."""
        return not self.replaced and (self.counted or not self.default)

    @classmethod
    def from_stream(cls, image: Mapping[str, Any]) -> RatingImage:
        """From DynamoDB's typed JSON ({"S": ...}, {"N": ...}), as the stream delivers it."""
        try:
            satisfaction = int(image["satisfaction"]["N"])
            paths = tuple(str(v["S"]) for v in image["paths"]["L"])
            day = str(image["day"]["S"])
            rating_id = str(image["rating_id"]["S"])
            valid = bool(image.get("valid", {"BOOL": True})["BOOL"])
            tags = tuple(str(v["S"]) for v in image.get("tags", {}).get("L", []))
            comment = image["comment"]["S"] if "comment" in image else None
            ticket = image.get("ticket", {}).get("M", {})
            outcome = TicketOutcome(
                **{name: bool(ticket[name]["BOOL"]) for name in TicketOutcome._fields if name in ticket}
            )
            sub_scores = {str(k): int(v["N"]) for k, v in image.get("sub_scores", {}).get("M", {}).items()}
            default = image.get("kind", {}).get("S") == "default"
            counted = bool(image.get("counted", {"BOOL": True})["BOOL"])
            replaced = "replaced_by" in image
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise PoisonRecord(f"not a countable rating image: {type(e).__name__} {e}") from None
        if satisfaction not in LEVELS:
            raise PoisonRecord(f"satisfaction {satisfaction} is not a level")
        if not paths or any("#" not in p for p in paths):
            raise PoisonRecord("a rating counts for at least one subject (kind#code)")
        if len(day) != 10 or day[4] != "-" or day[7] != "-":
            raise PoisonRecord("day is YYYY-MM-DD")
        if any(level not in LEVELS for level in sub_scores.values()):
            raise PoisonRecord("a sub-score is not a level 1..5")
        return cls(
            rating_id,
            satisfaction,
            valid,
            paths,
            day,
            tags,
            comment,
            "rater" in image,
            outcome,
            sub_scores,
            default,
            counted,
            replaced,
        )


Contributor = Callable[[RatingImage], Mapping[str, int]]

# Further contributors by "module:function", loaded on first use (they may import heavy libraries, a
# word segmenter for instance). Each maps a rating to more flat fields of the same counters; fields
# prefixed with a name in `SEPARATE_FAMILIES` followed by ":" are kept in items of their own (see
# functions/index/counters.py) so that they do not make every index figure heavier to read and write.
EXTRA_CONTRIBUTORS: tuple[str, ...] = ("functions.index.hotwords:contribute",)
SEPARATE_FAMILIES: frozenset[str] = frozenset({"hw"})
_registered: list[Contributor] = []


def register(contributor: Contributor) -> Contributor:
    """Add a contributor in this process (tests; a module may also register itself on import)."""
    _registered.append(contributor)
    return contributor


def unregister(contributor: Contributor) -> None:
    _registered.remove(contributor)


@cache
def _loaded() -> tuple[Contributor, ...]:
    found: list[Contributor] = []
    for reference in EXTRA_CONTRIBUTORS:
        module, _, attribute = reference.partition(":")
        found.append(getattr(importlib.import_module(module), attribute))
    return tuple(found)


def contributors() -> tuple[Contributor, ...]:
    return (base_contribution, *_loaded(), *_registered)


def base_contribution(rating: RatingImage) -> dict[str, int]:
    """A replaced rating counts nowhere (the rating that replaced it counts instead); a default rating
    counts in `defaults`, and at its level only where the province counts it as good."""
    if rating.replaced:
        return {}
    fields: dict[str, int] = {DEFAULTS: 1} if rating.default else {}
    if not rating.counts:
        return fields
    fields[TOTAL] = 1
    if not rating.valid:
        return fields
    fields[VALID_LEVEL.format(rating.satisfaction)] = 1
    for tag in dict.fromkeys(rating.tags):
        fields[TAG.format(tag)] = 1
    for dimension, level in sorted(rating.sub_scores.items()):
        fields[SUB_SCORE.format(dimension, level)] = 1
    if not rating.good:
        ticket = rating.ticket
        if ticket.rectified:
            fields[RECTIFIED] = 1
        if ticket.finished:
            fields[FINISHED] = 1
            if ticket.on_time:
                fields[ON_TIME] = 1
        if rating.named:
            fields[NAMED_BAD] = 1
            if ticket.replied:
                fields[NAMED_REPLIED] = 1
    return fields


def contribution(rating: RatingImage) -> dict[str, int]:
    """Every contributor's fields for one rating, summed (the same field from two contributors adds)."""
    fields: dict[str, int] = {}
    for contributor in contributors():
        for name, value in contributor(rating).items():
            fields[name] = fields.get(name, 0) + int(value)
    return {name: value for name, value in fields.items() if value}


class CounterKey(NamedTuple):
    subject: str  # kind#code
    day: str  # YYYY-MM-DD


Changes = dict[CounterKey, dict[str, int]]


def changes(old: RatingImage | None, new: RatingImage | None) -> Changes:
    """What a stream record changes: new − old, per subject and day, zero fields dropped. INSERT has no
    old image, REMOVE no new one; a MODIFY that changes nothing counted changes nothing."""
    result: Changes = {}
    for image, sign in ((old, -1), (new, 1)):
        if image is None:
            continue
        fields = contribution(image)
        for subject in dict.fromkeys(image.paths):
            target = result.setdefault(CounterKey(subject, image.day), {})
            for name, value in fields.items():
                target[name] = target.get(name, 0) + sign * value
    return {key: nonzero for key, fields in result.items() if (nonzero := _nonzero(fields))}


def _nonzero(fields: Mapping[str, int]) -> dict[str, int]:
    return {name: value for name, value in fields.items() if value}


def add_into(total: dict[str, int], fields: Mapping[str, int]) -> dict[str, int]:
    for name, value in fields.items():
        total[name] = total.get(name, 0) + value
    return total


def sum_fields(many: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for fields in many:
        add_into(total, fields)
    return total


def family_of(field: str) -> str:
    """'' for the index's own fields; the prefix for fields kept in items of their own."""
    prefix, colon, _ = field.partition(":")
    return prefix if colon and prefix in SEPARATE_FAMILIES else ""
