"""Property tests for URL canonicalization: the same page must always map to the same key."""

from urllib.parse import parse_qsl, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from gleaner.urls import canonicalize_url, is_tracking_param

SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~é", min_size=1, max_size=8)
KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)
VALUE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", max_size=6)
TRACKING = st.sampled_from(["utm_source", "utm_medium", "utm_campaign", "gclid", "fbclid"])


@st.composite
def urls(draw):
    host = draw(st.sampled_from(["shop.example", "Shop.Example", "127.0.0.1:8765"]))
    path = "/".join(draw(st.lists(SEGMENT, max_size=4)))
    params = draw(st.lists(st.tuples(KEY.filter(lambda k: not is_tracking_param(k)), VALUE), max_size=4))
    return draw(st.sampled_from(["http", "HTTP"])) + f"://{host}/{path}", params


@settings(max_examples=200, deadline=None)
@given(urls(), st.lists(st.tuples(TRACKING, VALUE), max_size=3), st.text(alphabet="abc", max_size=5), st.randoms())
def test_variants_of_one_page_share_a_canonical_url(base_and_params, tracking, fragment, rnd):
    base, params = base_and_params
    query = "&".join(f"{k}={v}" for k, v in params)
    plain = canonicalize_url(f"{base}?{query}" if query else base)
    noisy_params = params + tracking
    rnd.shuffle(noisy_params)
    noisy_query = "&".join(f"{k}={v}" for k, v in noisy_params)
    noisy = f"{base}?{noisy_query}" if noisy_query else base
    if fragment:
        noisy += f"#{fragment}"
    assert canonicalize_url(noisy) == plain
    assert canonicalize_url(plain) == plain  # idempotent
    parts = urlsplit(plain)
    assert parts.fragment == "" and parts.scheme == "http" and parts.netloc == parts.netloc.lower()
    assert not any(is_tracking_param(k) for k, _ in parse_qsl(parts.query, keep_blank_values=True))
