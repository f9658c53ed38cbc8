"""How the crawler runs Chromium: which executable, how often contexts are replaced, how many relaunches.

Left unset, the crawler takes `GLEANER_CHROMIUM`, else Playwright's own build when installed, else
Debian's `/usr/bin/chromium` (Playwright's browser download needs internet access many build machines lack).
"""

from __future__ import annotations

import dagster as dg

from gleaner.crawl import BrowserSettings


class BrowserResource(dg.ConfigurableResource):
    executable_path: str | None = None
    recycle_context_after: int = 50  # pages per browser context; memory stays flat on long crawls
    max_launches: int = 5  # a Chromium that keeps dying fails the remaining renders instead of looping

    def settings(self) -> BrowserSettings:
        return BrowserSettings(
            recycle_after=self.recycle_context_after,
            max_launches=self.max_launches,
            executable=self.executable_path,
        )
