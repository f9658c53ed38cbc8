"""Which Chromium the crawler's Playwright drives.

Left unset, the crawler takes Playwright's own build when installed, else Debian's `/usr/bin/chromium`
(Playwright's browser download needs internet access many build machines lack).
"""

from __future__ import annotations

import os

import dagster as dg


class BrowserResource(dg.ConfigurableResource):
    executable_path: str | None = None

    def apply(self) -> None:
        """The crawler reads `GLEANER_CHROMIUM`; config set here wins over the environment."""
        if self.executable_path:
            os.environ["GLEANER_CHROMIUM"] = self.executable_path
