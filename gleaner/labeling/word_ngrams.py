"""Word 1-2-gram TF-IDF features computed in polars: what the model in the loop reads above `SGD_ABOVE`
labelled records (`gleaner.labeling.active`).

scikit-learn's `TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)` tokenizes and counts in Python, one
text at a time: about 75 us per review, 6 s of the labels step at 82k records. Here the same tokens (lower-cased
text, `\\b\\w\\w+\\b`), the same bigrams (adjacent tokens joined by a space), the same alphabetical vocabulary
and the same counts come from polars' column operations (about 2 s), and scikit-learn's own
`TfidfTransformer` weights them, so the matrix is the one the vectorizer builds: tests/labeling/
test_word_ngrams.py compares both on review texts, punctuation and non-Latin scripts. One known difference:
Rust's `\\w` counts combining marks as word characters and Python's does not, so a text written with
decomposed accents ("e" + U+0301) splits into other tokens; the features differ there, never the determinism.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

TOKEN = r"\b\w\w+\b"  # scikit-learn's default token_pattern, (?u) being Rust's default


def _terms(texts: Sequence[str]) -> pl.DataFrame:
    """(doc, term) for every token and every bigram of each text, duplicates kept (they are the counts)."""
    tokens = (
        pl.DataFrame({"text": list(texts)}, schema={"text": pl.String})
        .with_row_index("doc")
        .select("doc", pl.col("text").fill_null("").str.to_lowercase().str.extract_all(TOKEN).alias("term"))
        .explode("term")
        .drop_nulls("term")
    )
    bigrams = tokens.select(
        "doc",
        pl.concat_str("term", pl.col("term").shift(-1), separator=" ").alias("term"),
        same_doc=pl.col("doc") == pl.col("doc").shift(-1),
    ).filter("same_doc")
    return pl.concat([tokens, bigrams.drop("same_doc")])


class WordNgramTfidf:
    """`fit_transform` learns the vocabulary and IDF from the texts; `transform` weighs other texts with them
    (terms outside the vocabulary are dropped). The scikit-learn vectorizer's interface, for `model_pass`."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfTransformer

        self.vocabulary: pl.Series | None = None  # the terms, sorted: a term's column is its position
        self.weights = TfidfTransformer(sublinear_tf=True)

    def _counts(self, terms: pl.DataFrame, documents: int):
        """The (document, column) count matrix. Each term's column is read by casting the terms to an enum
        over the vocabulary, whose codes are the positions (a term outside it becomes null and is dropped):
        a fifth of the time of joining the terms with the vocabulary as a table."""
        import scipy.sparse as sp

        assert self.vocabulary is not None
        columns = terms["term"].cast(pl.Enum(self.vocabulary), strict=False).to_physical()
        known = columns.is_not_null()
        if not known.all():
            terms, columns = terms.filter(known), columns.filter(known)
        ones = np.ones(len(columns), dtype=np.int64)
        shape = (documents, len(self.vocabulary))
        counts = sp.csr_matrix((ones, (terms["doc"].to_numpy(), columns.to_numpy())), shape=shape)
        counts.sum_duplicates()
        return counts

    def fit_transform(self, texts: Sequence[str]):
        terms = _terms(texts)  # once: the vocabulary and the counts both read it
        vocabulary = terms["term"].unique().sort()
        if vocabulary.is_empty():
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        self.vocabulary = vocabulary
        return self.weights.fit_transform(self._counts(terms, len(texts)))

    def transform(self, texts: Sequence[str]):
        return self.weights.transform(self._counts(_terms(texts), len(texts)))

    def get_feature_names_out(self) -> np.ndarray:
        assert self.vocabulary is not None
        return self.vocabulary.to_numpy()
