import pytest

from gleaner.sources import SourceConfigError, load_sources


def test_bundled_sources_load(monkeypatch):
    monkeypatch.setenv("GLEANER_DEMO_URL", "http://127.0.0.1:9999")
    sources = load_sources()
    assert set(sources) == {"acme", "globex"}
    assert sources["acme"].start_urls[0].startswith("http://127.0.0.1:9999/acme/")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "sources:\n  - name: Bad Name\n    start_urls: [x]\n    allowed_domains: [a]\n",
            "source Bad Name: name",
        ),
        ("sources:\n  - name: ok\n    start_urls: []\n    allowed_domains: [a]\n", "start_urls"),
        (
            "sources:\n  - name: ok\n    start_urls: [x]\n    allowed_domains: [a]\n    max_pages: 0\n",
            "max_pages",
        ),
        (
            "sources:\n  - name: ok\n    start_urls: [x]\n    allowed_domains: [a]\n    include: ['(']\n",
            "invalid regex",
        ),
        (
            "sources:\n  - name: ok\n    start_urls: [x]\n    allowed_domains: [a]\n    colour: red\n",
            "colour",
        ),
        ("nothing: here\n", "non-empty list"),
    ],
)
def test_bad_config_names_the_field(tmp_path, body, message):
    path = tmp_path / "sources.yaml"
    path.write_text(body)
    with pytest.raises(SourceConfigError, match=message):
        load_sources(path)
