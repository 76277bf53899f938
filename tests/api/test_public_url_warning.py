"""The Labels page warns before anything is printed when PUBLIC_URL leaves labels pointing at
this computer alone (labels stay stuck on for years), and says nothing otherwise."""

from collections.abc import Callable, Iterator

import pytest

from server.settings import reload_settings

HTML = {"Accept": "text/html"}
WARNING = 'id="public-url-warning"'


@pytest.fixture
def public_url() -> Iterator[Callable[[str | None], None]]:
    """Restart-like: set (or unset, None) PUBLIC_URL and read the settings again."""
    with pytest.MonkeyPatch.context() as patch:

        def use(value: str | None) -> None:
            if value is None:
                patch.delenv("PUBLIC_URL", raising=False)
            else:
                patch.setenv("PUBLIC_URL", value)
            reload_settings()

        yield use
    reload_settings()


@pytest.mark.parametrize("value, shown", [
    (None, "http://127.0.0.1:8000"),  # never set: the loopback default
    ("http://localhost:9000", "http://localhost:9000"),
    ("http://[::1]:8000/", "http://[::1]:8000"),
])
def test_the_labels_page_warns_when_labels_would_point_at_this_computer(
    manager, viewer, public_url, value, shown
):
    public_url(value)
    for who in (manager, viewer):
        page = who.get("/labels", headers=HTML)
        assert page.status_code == 200
        assert f"Labels printed now will point at {shown}</strong>" in page.text
        assert "set <code>PUBLIC_URL</code>" in page.text
    printing = manager.get("/labels", headers=HTML).text
    assert printing.index(WARNING) < printing.index('action="/labels/download"')


@pytest.mark.parametrize("value", ["https://tagtrack.lan", "http://192.168.1.20:8000",
                                   "https://tags.example.com/app"])
def test_the_labels_page_says_nothing_when_phones_can_reach_the_public_url(
    manager, public_url, value
):
    public_url(value)
    page = manager.get("/labels", headers=HTML)
    assert page.status_code == 200
    assert WARNING not in page.text
    assert "point at" not in page.text
