"""Remember every answer the model gave, so that re-labelling a partition never pays for the same vote twice.

A key names exactly what was asked: model, prompt version, vote index and the hash of the scrubbed text.
The vote index is part of it because votes are meant to be independent samples; caching only "the answer
for this text" would turn a three-vote majority into one answer counted three times.

Only completed responses are stored (including unusable ones such as refusals: they were paid for and a new
prompt version is the way to ask again). Transport failures are not answers and are never cached.

`ParquetLabelCache` keeps one directory of immutable Parquet parts. New entries go to a new part, written
under a temporary name and renamed into place, so a reader never sees half a file and concurrent writers
never clobber each other.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import polars as pl

from gleaner.labeling.llm.protocol import Answer


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, order=True)
class CacheKey:
    model: str
    prompt_version: str
    vote_index: int
    text_sha256: str


class LabelCache(Protocol):
    def get(self, key: CacheKey) -> Answer | None: ...

    def put(self, key: CacheKey, answer: Answer) -> None: ...

    def flush(self) -> None:
        """Make everything put so far durable."""
        ...


CACHE_SCHEMA: dict[str, pl.DataType] = {
    "model": pl.String(),
    "prompt_version": pl.String(),
    "vote_index": pl.Int32(),
    "text_sha256": pl.String(),
    "label": pl.String(),
    "confidence": pl.Float64(),
    "reason": pl.String(),
    "error": pl.String(),
    "input_tokens": pl.Int64(),
    "output_tokens": pl.Int64(),
    "created_at": pl.Datetime("us", "UTC"),
}
PART_GLOB = "labels-*.parquet"


class ParquetLabelCache:
    """A `LabelCache` over a directory of Parquet parts; safe to share between threads of one process."""

    def __init__(self, directory: str | os.PathLike[str], *, flush_every: int = 1000) -> None:
        self.directory = Path(directory)
        self.flush_every = flush_every
        self._lock = threading.Lock()
        self._entries: dict[CacheKey, Answer] = {}
        self._pending: list[tuple[CacheKey, Answer, datetime]] = []
        self._load()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def parts(self) -> list[Path]:
        return sorted(self.directory.glob(PART_GLOB))

    def _load(self) -> None:
        parts = self.parts()
        if not parts:
            return
        frame = pl.concat([pl.read_parquet(p, schema=CACHE_SCHEMA) for p in parts], how="vertical")
        # If two runs answered the same key, the earliest answer wins, so a reload never changes a label.
        frame = frame.sort("created_at").unique(
            subset=["model", "prompt_version", "vote_index", "text_sha256"], keep="first", maintain_order=True
        )
        for row in frame.iter_rows(named=True):
            key = CacheKey(row["model"], row["prompt_version"], row["vote_index"], row["text_sha256"])
            self._entries[key] = Answer(
                row["label"],
                row["confidence"],
                row["reason"] or "",
                row["error"],
                row["input_tokens"],
                row["output_tokens"],
            )

    def get(self, key: CacheKey) -> Answer | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: CacheKey, answer: Answer) -> None:
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = answer
            self._pending.append((key, answer, datetime.now(UTC)))
            due = len(self._pending) >= self.flush_every
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if pending:
            try:
                self._write_part(pending)
            except BaseException:
                with self._lock:
                    self._pending = pending + self._pending
                raise

    def _write_part(self, rows: Iterable[tuple[CacheKey, Answer, datetime]]) -> None:
        frame = pl.DataFrame(
            [
                {
                    "model": k.model,
                    "prompt_version": k.prompt_version,
                    "vote_index": k.vote_index,
                    "text_sha256": k.text_sha256,
                    "label": a.label,
                    "confidence": a.confidence,
                    "reason": a.reason,
                    "error": a.error,
                    "input_tokens": a.input_tokens,
                    "output_tokens": a.output_tokens,
                    "created_at": at,
                }
                for k, a, at in rows
            ],
            schema=CACHE_SCHEMA,
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.directory / f"labels-{stamp}-{uuid.uuid4().hex[:12]}.parquet"
        temporary = self.directory / f".tmp-{final.name}"
        try:
            frame.write_parquet(temporary)
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)
