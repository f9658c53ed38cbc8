"""One spelling per page: URL canonicalization and the scope test every discovered link goes through.

The crawler dedups, rate-limits and records pages by canonical URL, so two links that differ only in
tracking parameters, a fragment, parameter order or letter case of the host must come out identical here;
otherwise the same product is fetched (and its reviews counted) twice.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize

from gleaner.sources import SourceConfig

# Parameters that only say how a visitor arrived. Matched case-insensitively; a trailing "*" is a prefix.
TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "hsctatracking",
    "mkt_tok",
    "vero_id",
    "oly_anon_id",
    "oly_enc_id",
    "_ga",
    "_gl",
    "ref",
    "ref_src",
    "ref_url",
    "trk",
    "srsltid",
)

_EXACT = frozenset(p for p in TRACKING_PARAMS if not p.endswith("*"))
_PREFIXES = tuple(p[:-1] for p in TRACKING_PARAMS if p.endswith("*"))
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in _EXACT or lowered.startswith(_PREFIXES)


def _split_host(netloc: str) -> tuple[str, str, int | None]:
    """(userinfo@ or "", host, port); IPv6 literals keep their brackets."""
    userinfo, _, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        host += "]"
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    port = int(port_text) if port_text.isdigit() else None
    return (userinfo + "@" if userinfo else ""), host, port


def canonicalize_url(url: str) -> str:
    """The URL a page is stored and deduplicated under.

    Tracking parameters are dropped before w3lib sorts and percent-encodes the rest, the fragment is
    dropped, scheme and host are lowercased and a default port is removed. Parameters that change content
    (``page=2``) are kept: two URLs that canonicalize alike must serve the same document.
    """
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    scheme = parts.scheme.lower()
    userinfo, host, port = _split_host(parts.netloc)
    host = host.lower().rstrip(".")
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    rebuilt = urlunsplit((scheme, userinfo + host, parts.path or "/", urlencode(query), ""))
    return _w3lib_canonicalize(rebuilt, keep_fragments=False)


def url_host(url: str) -> str:
    """Lowercased host without port or credentials; what robots.txt and rate limits are keyed by."""
    return _split_host(urlsplit(url).netloc)[1].lower().rstrip(".")


def _domain_matches(url: str, allowed: str) -> bool:
    """``example.com`` admits ``example.com`` and its subdomains on any port; ``host:port`` only that port."""
    parts = urlsplit(url)
    _, host, port = _split_host(parts.netloc)
    host = host.lower().rstrip(".")
    allowed = allowed.strip().lower().rstrip(".")
    if "://" in allowed:  # tolerate "http://example.com" written where a domain was expected
        allowed = urlsplit(allowed).netloc
    _, allowed_host, allowed_port = _split_host(allowed)
    if allowed_port is not None:
        effective = port if port is not None else _DEFAULT_PORTS.get(parts.scheme.lower())
        if effective != allowed_port:
            return False
    if host == allowed_host:
        return True
    is_ip = re.fullmatch(r"[\d.]+|\[[0-9a-f:.]+\]", allowed_host) is not None
    return not is_ip and host.endswith("." + allowed_host)


def in_domains(url: str, domains: list[str]) -> bool:
    """Whether an http(s) URL is on one of ``domains`` (``allowed_domains`` rules); no scope patterns."""
    if urlsplit(url).scheme.lower() not in _DEFAULT_PORTS:
        return False
    return any(_domain_matches(url, domain) for domain in domains)


def is_allowed(url: str, source: SourceConfig) -> bool:
    """Whether the source's crawl may follow this URL: http(s), inside allowed_domains, include/exclude.

    Regexes are searched (not anchored) in the URL as given; the crawler passes canonical URLs so a
    pattern never has to account for tracking parameters.
    """
    if not in_domains(url, source.allowed_domains):
        return False
    if source.include and not any(re.search(pattern, url) for pattern in source.include):
        return False
    return not any(re.search(pattern, url) for pattern in source.exclude)
