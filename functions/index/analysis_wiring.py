"""What the public page, hot words, profiles and warnings build once per process (one `Lazy` each), from
the index function's settings; tests and the local stack hand in their own with `use`.

Kept apart from the indices' own wiring so that the two capabilities can change independently."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from functions.core.domain.directory import SubjectKind
from functions.core.runtime import Lazy
from functions.core.storage import clients
from functions.core.storage.directory import CachedDirectory, DynamoDirectory
from functions.index import wiring
from functions.index.segmenter import Segmenter
from functions.index.settings import IndexSettings

logger = logging.getLogger("haochaping.index")

# How many 事项 names the segmenter loads from the directory: Guizhou has 492,000 items, but far
# fewer distinct names (the same 事项 in every county), and a cold start must stay short.
MAX_ITEM_NAMES = 20_000


class Analysis(NamedTuple):
    settings: IndexSettings
    directory: Any  # functions.core.domain.directory_service.DirectoryService
    store: CachedDirectory
    figures: Any  # functions.index.figures.FigureReader


def build(runtime: Any, dynamodb: Any) -> Analysis:
    """On the index function's own runtime (its settings, directory service and figure reader), with a
    directory store for listing children."""
    config = runtime.settings
    store = CachedDirectory(DynamoDirectory(dynamodb, config.directory_table), config.directory_cache_seconds)
    return Analysis(
        settings=runtime.settings, directory=runtime.directory, store=store, figures=runtime.figures
    )


def build_segmenter(config: IndexSettings, dynamodb: Any) -> Segmenter:
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


_analysis: Lazy[Analysis] = Lazy(lambda: build(wiring.runtime(), clients.dynamodb()))
_segmenter: Lazy[Segmenter] = Lazy(lambda: build_segmenter(wiring.runtime().settings, clients.dynamodb()))


def analysis() -> Analysis:
    """Follows the index runtime: when a test or the local stack installs another, this is rebuilt."""
    built = _analysis.get()
    if built.figures is not wiring.runtime().figures:
        _analysis.use(None)
        built = _analysis.get()
    return built


segmenter = _segmenter.get
use = _analysis.use
use_segmenter = _segmenter.use
