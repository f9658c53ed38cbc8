"""The language model unpacked once (`gleaner.extract.langid_model`) is py3langid's own model: the same
arrays and the same answers; it is unpacked once per py3langid release, a damaged copy is unpacked again, and
a cache folder that cannot be written means loading from the wheel, never a failed extraction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from gleaner.extract.langid_model import CACHE_ENV, cache_dir, load_identifier, shipped_model, unpacked_model

TEXTS = ["The kettle boils fast and the lid closes well.", "Der Wasserkocher ist leise und schnell.", "très bien", ""]


@pytest.fixture(scope="module")
def stock() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _same(ours: LanguageIdentifier, stock: LanguageIdentifier) -> None:
    for name in ("nb_ptc", "nb_pc"):
        assert getattr(ours, name).dtype == getattr(stock, name).dtype
        assert np.array_equal(getattr(ours, name), getattr(stock, name))
    for name in ("nb_classes", "tk_nextmove", "tk_row", "tk_output", "_rowbase", "_alias_pairs", "_norm_probs"):
        assert type(getattr(ours, name)) is type(getattr(stock, name)) and getattr(ours, name) == getattr(stock, name)
    assert [ours.classify(t) for t in TEXTS] == [stock.classify(t) for t in TEXTS]


def test_the_unpacked_model_is_the_shipped_one(tmp_path: Path, stock: LanguageIdentifier) -> None:
    _same(load_identifier(tmp_path), stock)
    (cached,) = tmp_path.glob("py3langid-*.npz")
    written = cached.stat().st_mtime_ns
    _same(load_identifier(tmp_path), stock)  # read, not unpacked again
    assert cached.stat().st_mtime_ns == written and cached == unpacked_model(shipped_model(), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [cached.name]  # no temporary file left behind


def test_a_damaged_copy_is_unpacked_again(tmp_path: Path, stock: LanguageIdentifier) -> None:
    cached = unpacked_model(shipped_model(), tmp_path)
    whole = cached.read_bytes()
    cached.write_bytes(whole[: len(whole) // 2])  # cut short, as by a full disk
    _same(load_identifier(tmp_path), stock)
    assert cached.read_bytes() == whole
    damaged = bytearray(whole)
    damaged[len(whole) // 3] ^= 0xFF  # one flipped byte inside an array: the zip's CRC check catches it
    cached.write_bytes(bytes(damaged))
    _same(load_identifier(tmp_path), stock)
    assert cached.read_bytes() == whole


def test_a_folder_that_cannot_be_written_loads_from_the_wheel(tmp_path: Path, stock: LanguageIdentifier) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    _same(load_identifier(blocked / "cache"), stock)


def test_the_cache_folder_is_configurable(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "gleaner"
