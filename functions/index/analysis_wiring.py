"""What the public page, hot words, profiles and warnings build once per process (one `Lazy` each), from
the index function's settings; tests and the local stack hand in their own with `use`.

Kept apart from the indices' own wiring so that the two capabilities can change independently."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from functions.core.domain.directory import SubjectKind
from functions.core.domain.directory_service import DirectoryService
from functions.core.runtime import Lazy
from functions.core.settings import Settings, settings
from functions.core.storage import clients
from functions.core.storage.directory import CachedDirectory, DynamoDirectory
from functions.index.segmenter import Segmenter

logger = logging.getLogger("haochaping.index")

# How many 事项 names the segmenter loads from the directory: Guizhou has 492,000 items, but far
# fewer distinct names (the same 事项 in every county), and a cold start must stay short.
MAX_ITEM_NAMES = 20_000


class Analysis(NamedTuple):
    settings: Settings
    directory: DirectoryService
    store: CachedDirectory
    figures: Any  # functions.index.figures.FigureReader


def build(config: Settings, dynamodb: Any) -> Analysis:
    from functions.index.counters import DynamoCounters
    from functions.index.figures import FigureReader

    store = CachedDirectory(DynamoDirectory(dynamodb, config.directory_table), config.directory_cache_seconds)
    return Analysis(
        settings=config,
        directory=DirectoryService(store, config.province.code),
        store=store,
        figures=FigureReader(DynamoCounters(dynamodb, config.counters_table)),
    )


def build_segmenter(config: Settings, dynamodb: Any) -> Segmenter:
    """The domain dictionary: the fixed terms, the province's tags, and the 事项 names of the directory."""
    names: dict[str, None] = dict.fromkeys((*config.province.tags.good, *config.province.tags.bad))
    try:
        directory = DynamoDirectory(dynamodb, config.directory_table)
        for entry in directory.of_kind(SubjectKind.ITEM):
            names[entry.name] = None
            if len(names) >= MAX_ITEM_NAMES:
                break
    except Exception:  # no directory (a test's bare stream): the fixed terms still segment well
        logger.warning("hot words: item names not loaded from the directory", exc_info=True)
    return Segmenter(domain_words=names)


_analysis: Lazy[Analysis] = Lazy(lambda: build(settings(), clients.dynamodb()))
_segmenter: Lazy[Segmenter] = Lazy(lambda: build_segmenter(settings(), clients.dynamodb()))
analysis = _analysis.get
segmenter = _segmenter.get
use = _analysis.use
use_segmenter = _segmenter.use
