import os

# No test may reach a network or a real model: the offline drafter is the default and
# litellm must use its bundled price list.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.pop("TACTFUL_MODEL", None)
# The compiled rubric's cache (rubric.py) goes to a folder of this run, not the user's cache;
# servers and CLI runs started by the tests inherit it.
if "TACTFUL_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["TACTFUL_CACHE_DIR"] = tempfile.mkdtemp(prefix="tactful-test-cache-")
    atexit.register(shutil.rmtree, os.environ["TACTFUL_CACHE_DIR"], ignore_errors=True)
    # Settings made in-process (cache_dir "") use the user's cache folder: that one, too
    os.environ["XDG_CACHE_HOME"] = os.environ["TACTFUL_CACHE_DIR"]

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from service.web.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402


@pytest.fixture(autouse=True)
def _testclient_host(monkeypatch):
    """Starlette's TestClient sends `Host: testserver`; in loopback mode (no keys) the guard
    serves loopback names only, so the tests' own client is let in as one. tests/test_guard.py
    checks the guard itself with the name removed again."""
    from service.web import guard

    monkeypatch.setattr(guard, "LOCAL_NAMES", guard.LOCAL_NAMES | {"testserver"})


@pytest.fixture
def in_process():
    """`tactful batch` and the other commands run in this process (main(argv)), with the
    garbage-collector settings a batch makes undone after."""
    import gc

    from service.cli import main

    threshold = gc.get_threshold()
    yield main
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(db_path=tmp_path / "tactful.db", model="")


@pytest.fixture
def client(settings) -> TestClient:
    with TestClient(create_app(settings)) as c:
        yield c
