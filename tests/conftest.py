from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def fixture_notebook():
    def get(name: str) -> Path:
        return NOTEBOOKS / f"{name}.ipynb"
    return get


@pytest.fixture(autouse=True)
def _quiet_matplotlib(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield


@pytest.fixture
def catalogue_without(tmp_path, monkeypatch):
    """``catalogue_without(lang, key)``: the catalogue, copied, with the line of ``key`` removed from
    ``<lang>.yaml``, in use (i18n and the renderer read the copy) until the test ends."""
    import shutil

    from reportkit import i18n

    cat = tmp_path / "catalogue"
    shutil.copytree(i18n.CATALOGUE_DIR, cat)
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", cat)
    monkeypatch.setattr("reportkit.render.html.CATALOGUE_DIR", cat)

    def remove(lang: str, key: str) -> Path:
        path = cat / f"{lang}.yaml"
        path.write_text("\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                                  if not line.strip().startswith(f"{key}:")), encoding="utf-8")
        i18n._load.cache_clear()
        return path

    yield remove
    i18n._load.cache_clear()


@pytest.fixture(scope="session")
def demo_runs(tmp_path_factory) -> Path:
    """A run cache the end-to-end builds of the demo report share in one test session: the first
    build executes the sections, the others (another language, edition or PDF variant: same run
    keys) reuse them. Tests that check execution itself build with ``cache=False``."""
    return tmp_path_factory.mktemp("demo-runs")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Modules with an end-to-end or slow test run first; the rest after; each group keeps its
    (random) order, and the order within each module is left as it is.

    ``make test`` deals whole modules to two pytest-xdist workers (``--dist loadfile``, with
    ``--no-loadscope-reorder`` so that this order is kept rather than xdist's, by number of tests,
    which dealt the long modules, few tests each, last). Dealt last, a module of one to two minutes
    kept one worker running alone while the other sat idle. The 54 quick modules (about 160 s in all)
    now fill that gap: longest-first scheduling, by a marker rather than by measured times. Runs
    after pytest-randomly has shuffled."""
    heavy = {item.nodeid.split("::")[0] for item in items
             if item.get_closest_marker("e2e") is not None or item.get_closest_marker("slow") is not None}
    position = {module: i for i, module in enumerate(dict.fromkeys(item.nodeid.split("::")[0] for item in items))}
    items.sort(key=lambda item: (item.nodeid.split("::")[0] not in heavy, position[item.nodeid.split("::")[0]]))
