"""A deterministic two-shop demo web site, served locally, with the ground truth of every review on it.

`build_site` makes the pages in memory from a seed; `DemoSiteServer` serves them on loopback for crawls,
tests and demos (``python -m gleaner.demo_site --port 8765``).
"""

from gleaner.demo_site.generator import DEFAULT_SEED, DemoPage, DemoProduct, DemoReview, DemoSite, build_site
from gleaner.demo_site.server import DemoSiteServer

__all__ = [
    "DEFAULT_SEED",
    "DemoPage",
    "DemoProduct",
    "DemoReview",
    "DemoSite",
    "DemoSiteServer",
    "build_site",
]
