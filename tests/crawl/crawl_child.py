"""Crawls a source into a drop in a child process, so test_crawl_resume.py can kill it mid-crawl.

argv: source config (JSON), drops root, partition date, drop id. Fetch times are pinned, so a crawl that
fetches the same pages writes the same bytes whenever it runs.
"""

import sys
from datetime import UTC, datetime

from gleaner.crawl.to_drop import crawl_to_drop
from gleaner.sources import SourceConfig

PINNED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

if __name__ == "__main__":
    source = SourceConfig.model_validate_json(sys.argv[1])
    crawl_to_drop(source, sys.argv[2], sys.argv[3], sys.argv[4], clock=lambda: PINNED)
