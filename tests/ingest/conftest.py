"""The ingest tests' fixtures: a local news site (tests/ingest/site.py) and settings that fetch from it quickly."""

import pytest

from settings import Settings
from tests.ingest.site import Site

# Short timeouts, so the slow page fails within a second; a small size limit, so the huge page is refused early.
QUICK_FETCHES = {"fetch_connect_timeout": 2.0, "fetch_read_timeout": 0.5, "fetch_max_bytes": 2_000_000}


@pytest.fixture
def site():
    """A news site on a free local port, with robots.txt forbidding /private/; tests add the routes they need."""
    served = Site()
    served.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    yield served
    served.close()


@pytest.fixture
def web_settings(tmp_path):
    """Settings for fetching without a model or store."""
    return Settings(_env_file=None, data_dir=tmp_path / "data", **QUICK_FETCHES)


@pytest.fixture
def store_settings(settings):
    """Settings for fetching into a real store with the session's model."""
    return settings.model_copy(update=QUICK_FETCHES)
