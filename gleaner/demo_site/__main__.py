"""``python -m gleaner.demo_site --port 8765``: serve the demo shops in the foreground."""

from __future__ import annotations

import argparse
import contextlib

from gleaner.demo_site.generator import DEFAULT_SEED, build_site
from gleaner.demo_site.server import DemoSiteServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gleaner.demo_site", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--extra-products", type=int, default=0, help="plain products added to each shop")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before each response")
    args = parser.parse_args(argv)
    site = build_site(args.seed, extra_products=args.extra_products)
    server = DemoSiteServer(site, host=args.host, port=args.port, latency=args.latency)
    print(
        f"demo site (seed {args.seed}, {len(site.pages)} pages) on http://{args.host}:{args.port}/",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
