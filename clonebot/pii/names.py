"""Optional person names via natasha (slow: ~7 ms a line; off by default)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from clonebot.errors import ConfigError
from clonebot.pii._candidate import Cand

_CHUNK = 5000  # natasha is quadratic-ish on huge texts; feed it bounded pieces


@lru_cache(maxsize=1)  # the models take ~1 s to load: once per process
def load() -> Callable[[str], list[Cand]]:
    try:
        from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ConfigError("pii.names needs natasha: pip install 'clonebot[names]'") from e
    seg = Segmenter()
    ner = NewsNERTagger(NewsEmbedding())

    def find(text: str) -> list[Cand]:
        out = []
        for off in range(0, len(text), _CHUNK):
            piece = text[off : off + _CHUNK]
            if not any(c.isupper() for c in piece):
                continue
            doc = Doc(piece)
            doc.segment(seg)
            doc.tag_ner(ner)
            for sp in doc.spans:
                if sp.type == "PER":
                    out.append(Cand("name", off + sp.start, off + sp.stop, "", sp.text.casefold()))
        return out

    return find
