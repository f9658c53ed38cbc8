"""A page's main text, without navigation, footers and sidebars, for sources that ask for it (``body_text``).

trafilatura is the maintained, benchmarked tool for boilerplate removal; precision is favoured because the
text ends up in training data, where a menu or cookie banner is worse than a missing paragraph.
"""

from __future__ import annotations

import logging

from gleaner.extract.text_clean import clean_text

logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it logs every page it finds too short at WARNING


def main_text(html: str, url: str) -> str | None:
    """The main text with paragraphs kept as lines; None when the page has none worth the name."""
    import trafilatura  # only for sources that ask for the main text

    try:
        text = trafilatura.extract(
            html,
            url=url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            deduplicate=False,
            with_metadata=False,
        )
    except Exception:  # trafilatura's own parser can fail on hostile markup; no main text is the honest answer
        return None
    return clean_text(text) or None
