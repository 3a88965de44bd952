"""The report templates, shipped inside the package as ``reportkit.templates`` (see pyproject.toml).

This file only makes the folder a regular package, so that both an editable install and a wheel
find it through :func:`reportkit.resources.templates_dir`. Nothing to import here.
"""
