"""The imports the kit's processes skip (reportkit.startup): jsonschema's optional format
checkers. nbformat checks no format, so a notebook reads and validates the same without them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """\
import json, sys
if sys.argv[1] == "skip":
    from reportkit.startup import skip_slow_optional_imports
    skip_slow_optional_imports()
import nbformat
import reportkit.cli, reportkit.batch, reportkit.publish, reportkit.render.pdf  # a command's and a worker's imports
out = {}
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as fh:
        nb = nbformat.reads(fh.read(), as_version=4)
    out[path] = sorted(e.message for e in nbformat.validator.iter_validate(nb))
from reportkit.startup import SKIPPED
out["loaded"] = sorted(m for m in SKIPPED if sys.modules.get(m) is not None)
print(json.dumps(out, sort_keys=True))
"""


def _probe(mode: str, notebooks: list[Path]) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, mode, *map(str, notebooks)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_notebooks_validate_the_same_without_the_skipped_packages(tmp_path):
    broken = json.loads((ROOT / "notebooks" / "market_trends.ipynb").read_text(encoding="utf-8"))
    del broken["cells"][0]["source"]  # invalid: nbformat names the missing property
    broken["metadata"]["homepage"] = "not a uri ::"  # a string a format checker would look at, if one ran
    bad = tmp_path / "broken.ipynb"
    bad.write_text(json.dumps(broken), encoding="utf-8")
    notebooks = [*sorted((ROOT / "notebooks").glob("*.ipynb")), bad]
    skipped, full = _probe("skip", notebooks), _probe("full", notebooks)
    assert skipped["loaded"] == []  # nothing a command or worker imports brings them in anyway
    assert {k: v for k, v in skipped.items() if k != "loaded"} == {k: v for k, v in full.items() if k != "loaded"}
    assert skipped[str(bad)] and all(not skipped[str(p)] for p in notebooks[:-1])
