"""A deterministic two-shop demo web site, served locally, with the ground truth of every review on it.

`build_site` makes the pages in memory from a seed; `DemoSiteServer` serves them on loopback for crawls,
tests and demos (``python -m gleaner.demo_site --port 8765``).
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "generator": ("DEFAULT_SEED", "DemoPage", "DemoProduct", "DemoReview", "DemoSite", "build_site"),
        "server": ("DemoSiteServer",),
    },
)
