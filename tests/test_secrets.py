"""Secret parameters reach the kernel and nothing else: executed notebooks, manifests, reports and
published releases show <secret>; a notebook that prints a secret fails and is deleted."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from reportkit.errors import ParameterError
from reportkit.execute import execute_notebook
from reportkit.params import read_parameters

SECRET = "tok-8f3a91c2e7"


def _notebook(folder: Path, *, leak: bool = False) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "reportkit", "language": "python", "display_name": "Python (reportkit)"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell('token: str = ""  # secret: API token of the export service\n'
                                       'n: int = 2  # how many')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import reportkit as rk\n"
        'rk.record("n_twice", n * 2, label="n × 2", decimals=0)\n'
        'rk.record("token_length", len(token), label="token length", decimals=0)\n'
        'rk.record("summary", "The export service was reached.")'
    )]
    if leak:
        nb.cells.append(nbformat.v4.new_code_cell("print(token)"))
    path = folder / ("leaky.ipynb" if leak else "secretive.ipynb")
    nbformat.write(nb, path)
    return path


def test_a_help_comment_starting_with_secret_marks_the_parameter(tmp_path):
    declared = read_parameters(_notebook(tmp_path))
    assert declared.secret() == ("token",) and not declared.get("n").secret


@pytest.mark.e2e
def test_the_executed_notebook_keeps_no_secret_value(tmp_path):
    nb_path = _notebook(tmp_path)
    out = tmp_path / "run.ipynb"
    executed = execute_notebook(nb_path, out, {"token": SECRET, "n": 3}, cwd=tmp_path, secret=("token",))
    text = out.read_text(encoding="utf-8")
    assert SECRET not in text and "<secret>" in text
    injected = next(c for c in executed.nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "token = '<secret>'" in injected.source and "n = 3" in injected.source
    assert executed.nb.metadata.papermill.parameters["token"] == "<secret>"
    from reportkit.record import read_results

    values = {m.name: m.value for m in read_results(executed.nb, section="s", notebook="n", parameters={}).of_kind("metric")}
    assert values == {"n_twice": 6, "token_length": len(SECRET)}  # the kernel had the real value


@pytest.mark.e2e
def test_a_notebook_that_prints_a_secret_fails_and_is_deleted(tmp_path):
    out = tmp_path / "run.ipynb"
    with pytest.raises(ParameterError, match="secret parameter 'token' appears in the outputs"):
        execute_notebook(_notebook(tmp_path, leak=True), out, {"token": SECRET}, cwd=tmp_path, secret=("token",))
    assert not out.exists() and not list(tmp_path.glob("*.partial*"))
    assert not any(SECRET in p.read_text(encoding="utf-8", errors="replace") for p in tmp_path.rglob("*.ipynb"))


@pytest.mark.e2e
def test_build_and_published_release_show_no_secret(tmp_path):
    from reportkit.build import build_report
    from reportkit.publish import publish

    nb_path = _notebook(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"""id: secret-test
title: {{zh: 密钥测试, en: Secret test}}
outputs: [html, pdf]
sections:
  - id: api
    notebook: {nb_path}
    title: {{zh: 接口, en: API}}
    parameters:
      token: {SECRET}
""", encoding="utf-8")
    result = build_report(spec, out=tmp_path / "build", cache_dir=tmp_path / "cache")
    manifest = json.loads((tmp_path / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sections"][0]["parameters"]["token"] == "<secret>"
    assert result.results["api"].parameters["token"] == "<secret>"
    publish(tmp_path / "build", tmp_path / "dest", client="acme")
    for folder in (tmp_path / "build", tmp_path / "cache", tmp_path / "dest"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "build" / "report.pdf").pages)
    assert "Secret test" in text or "密钥测试" in text  # the text was extracted …
    assert SECRET not in text  # … and holds no secret value
