"""YAML as the kit reads it (catalogues, report specs, themes, metadata files): parsed by libyaml
where PyYAML was built with it.

PyYAML's own parser is pure Python: the two language catalogues alone took about 0.2 s to read, in
every command and every batch worker. ``yaml.CSafeLoader`` parses with libyaml and builds the data
with the same safe constructors and resolvers as ``yaml.SafeLoader``, so the result is the same
(tests/test_yaml_files.py compares them on every YAML file of the project); errors carry the same
line marks. Where PyYAML has no libyaml, ``yaml.SafeLoader`` is used.
"""

from __future__ import annotations

from typing import Any

import yaml

#: libyaml's safe loader, or PyYAML's pure-Python one where libyaml is missing
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``, parsed by :data:`SAFE_LOADER`."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def compose(text: str) -> yaml.Node | None:
    """``yaml.compose(text)`` (the node tree, with line marks), parsed by :data:`SAFE_LOADER`."""
    return yaml.compose(text, Loader=SAFE_LOADER)
