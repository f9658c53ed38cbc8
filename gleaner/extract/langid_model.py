"""py3langid's model, unpacked once instead of in every process that detects a language.

The wheel ships the model as an LZMA-compressed npz (4.5 MB) and py3langid decompresses it each time it loads:
0.38 s of LZMA in every extraction worker of every step, and in every `gleaner extract`. The npz inside is
stored, not deflated, so once unpacked it loads in about a tenth of that. `unpacked_model` keeps it in the
cache folder (`GLEANER_CACHE_DIR`, else platformdirs' user cache folder: ``~/.cache/gleaner`` on Linux) under the
sha256 of the shipped file, so another py3langid release gets its own; `make setup` and the image unpack it
(``python -m gleaner.extract.langid_model``), and a process that finds none unpacks it then. Two processes
unpacking at once each write a file of their own and rename it into place. A cached file that does not read
(truncated: numpy's zip reader checks each array's CRC) is unpacked again; a folder that cannot be written
means loading from the wheel, as before.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

CACHE_ENV = "GLEANER_CACHE_DIR"


_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)  # what a damaged npz raises


def cache_dir() -> Path:
    if configured := os.environ.get(CACHE_ENV):
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gleaner", appauthor=False))


def shipped_model() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return MODEL_DIR / MODEL_FILE


def unpacked_model(shipped: Path, folder: Path) -> Path:
    """The shipped model's npz unpacked in `folder` (now, unless it already is); OSError when it cannot be."""
    target = folder / f"py3langid-{hashlib.sha256(shipped.read_bytes()).hexdigest()[:16]}.npz"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{target.name}.", delete=False) as out:
        try:
            with lzma.open(shipped) as packed:
                shutil.copyfileobj(packed, out, length=1 << 20)
            out.close()
            os.chmod(out.name, 0o644)  # a temporary file is the writer's alone; the cache is for any user
            os.replace(out.name, target)
        except BaseException:
            Path(out.name).unlink(missing_ok=True)
            raise
    return target


def _model_parts(npz: Path) -> tuple[Any, ...]:
    """What ``py3langid.modelio.load_model`` returns, read from the unpacked npz."""
    from py3langid.modelio import _to_array

    with np.load(npz, allow_pickle=False) as data:
        return (
            data["ptc"],
            data["pc"],
            data["classes"].tolist(),
            _to_array(data["nextmove"]),
            _to_array(data["nextmove_row"]),
            data["out_feat"].tolist(),
        )


def load_identifier(folder: Path | None = None):
    """py3langid's ``LanguageIdentifier`` with normalised probabilities, as ``from_model_file`` builds it,
    from the unpacked model in `folder` (default `cache_dir`) wherever that can be had."""
    from py3langid.langid import LanguageIdentifier

    shipped, folder = shipped_model(), folder or cache_dir()
    try:
        parts = _model_parts(unpacked_model(shipped, folder))
    except _UNREADABLE:  # damaged: unpack it afresh
        try:
            unpacked_model(shipped, folder).unlink()
            parts = _model_parts(unpacked_model(shipped, folder))
        except _UNREADABLE:  # no cache to be had
            return LanguageIdentifier.from_model_file(shipped, norm_probs=True)
    ptc, pc, classes, nextmove, row, output = parts
    return LanguageIdentifier(np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=True, tk_row=row)


def compile_kernels() -> None:
    """Run the compiled language kernels once (`gleaner.extract.langid_batch`, numba), so their machine code
    is cached at install time rather than compiled in the first extraction's workers."""
    from gleaner.extract.language import could_override, detect_languages

    texts = ["The kettle is very quiet and boils the water in less than three minutes.", "Sehr gut!"]
    detect_languages(texts)
    could_override(texts, "en")


if __name__ == "__main__":  # `make setup` and the image: unpack it and compile the kernels at install time
    print(f"language model unpacked at {unpacked_model(shipped_model(), cache_dir())}")
    compile_kernels()
    print("language kernels compiled and cached")
