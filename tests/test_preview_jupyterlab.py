"""rk.preview() in JupyterLab, driven in headless Chromium (issue 21).

JupyterLab runs on a free loopback port with a token, on a copy of the project's notebooks, data and
report specs (the repository's notebooks are never touched), with its settings, workspaces, runtime
files and IPython history in the test's folder. The analyst's steps: open
notebooks/engagement_conversion.ipynb (the "Python (reportkit)" kernel starts by itself), Run All
from the Run menu, add a cell ``rk.preview()`` and run it. Then: the frame fits its chapter; a
「表 2」 link scrolls the notebook to table 2 and the frame still shows the chapter (it used to
navigate to the server's login page); the chapter's blocks come in the order of a real build of the
same notebook; after ``conversion_metric`` changes to ``orders`` and Run All, the record only the old
parameters made (「模拟数据的真实长期弹性」) is gone and the note names it. Screenshots are saved in
the test's folder (``screenshots/``)."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser import browser  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/engagement_conversion.ipynb"
FRAME = ".jp-Notebook iframe[title='reportkit preview']"
STALE_LABEL = "模拟数据的真实长期弹性"  # true_total: recorded only for the simulated panel's add_to_cart

#: JupyterLab's user settings for the test: every cell in the page (no windowing, so every prompt can
#: be read), no news or update checks
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}

#: the blocks of a chapter (and of the appendix's supplementary results), each as one line: the kind,
#: the figure/table label, the metric labels, the first words of a paragraph
BLOCKS_JS = """(sel) => [...document.querySelectorAll(sel)].map(e => {
    const label = e.querySelector('.caption-label');
    const kpis = [...e.querySelectorAll('.kpi-label')].map(k => k.textContent.trim()).join(' | ');
    return [e.classList[0], label ? label.textContent.trim() : '', kpis,
            e.classList.contains('prose') ? e.textContent.trim().slice(0, 16) : ''].join(' ¦ ');
})"""
CHAPTER_BLOCKS = "#section-engagement > :not(header)"
SUPPLEMENT_LABELS = "#appendix .caption-label"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    base: str
    token: str
    project: Path

    def api(self, path: str) -> object:
        with urllib.request.urlopen(f"{self.base}{path}?token={self.token}", timeout=5) as answer:
            return json.loads(answer.read())

    def wait_idle(self, timeout: float = 60) -> None:
        """Until the notebook's kernel exists and is idle (asked through the server's REST API)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                kernels = self.api("/api/kernels")
            except urllib.error.HTTPError as exc:
                # jupyter_server answers 500 when asked in the milliseconds a kernel is being started
                # (its model reads last_activity before that is set: "expected a datetime, not the
                # NoneType None"; jupyter-server/enterprise_gateway#1395): ask again
                if exc.code != 500:
                    raise
                kernels = None
            if kernels and all(k["execution_state"] == "idle" for k in kernels):
                return
            time.sleep(0.2)
        raise AssertionError(f"no idle kernel after {timeout} s: {self.api('/api/kernels')}")


@pytest.fixture
def lab(tmp_path) -> Iterator[Lab]:
    """JupyterLab from the venv on a copy of the project; stopped (its kernels with it) at the end."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "reportkit" not in KernelSpecManager().find_kernel_specs():
        pytest.skip("no 'reportkit' kernelspec: `make setup` installs it inside the venv")
    project = tmp_path / "project"
    for folder in ("notebooks", "data", "reports"):
        shutil.copytree(ROOT / folder, project / folder)
    settings = tmp_path / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "IPYTHONDIR": str(tmp_path / "ipython"), "MPLBACKEND": "Agg"}
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--ServerApp.token={token}",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.root_dir={project}", "--LabApp.news_url=None"]
    if os.geteuid() == 0:  # containers: jupyter-server refuses root without it
        command.append("--allow-root")
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=project)
    running = Lab(f"http://127.0.0.1:{port}", token, project)
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise AssertionError(f"JupyterLab exited ({server.returncode}): {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}")
            try:
                running.api("/api/status")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("JupyterLab did not answer within 30 s")
        yield running
    finally:
        server.terminate()  # jupyter-server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _build_blocks(lab: Lab, browser) -> tuple[list[str], list[str]]:  # noqa: F811 - the fixture
    """The chapter's blocks and the appendix's labels in a real build of the engagement section
    (its spec's parameters are the notebook's defaults)."""
    from reportkit.build import build_report

    spec = lab.project / "build-check.yaml"  # not in reports/: the preview looks for its section there
    spec.write_text("id: preview-check\ntitle: 预览对照\nlanguage: zh\noutputs: [html]\nsections:\n"
                    "  - id: engagement\n    notebook: notebooks/engagement_conversion.ipynb\n"
                    "    title: {zh: 内容种草与电商转化, en: Content seeding and conversion}\n", encoding="utf-8")
    result = build_report(spec, out=lab.project / "build-check", cache_dir=lab.project / "runs")
    page = browser.new_page()
    try:
        page.goto(result.outputs["html"].as_uri())
        return page.evaluate(BLOCKS_JS, CHAPTER_BLOCKS), page.eval_on_selector_all(
            SUPPLEMENT_LABELS, "els => els.map(e => e.textContent.trim())")
    finally:
        page.close()


def _run_all(page, lab: Lab) -> None:
    """Run → Run All Cells, then wait until every code cell has its execution count and the kernel is idle."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    _wait_cells_done(page, lab)


def _wait_cells_done(page, lab: Lab) -> None:
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
        return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
    }""", timeout=120_000)
    lab.wait_idle()


@pytest.mark.slow
@pytest.mark.e2e
def test_the_preview_in_jupyterlab(browser, lab, tmp_path):  # noqa: F811 - the fixture imported above
    shots = tmp_path / "screenshots"
    shots.mkdir()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{lab.base}/lab/tree/{NOTEBOOK}?token={lab.token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell")
        lab.wait_idle()
        sessions = lab.api("/api/sessions")
        assert [s["kernel"]["name"] for s in sessions] == ["reportkit"]  # picked by the notebook itself
        page.get_by_text("Python (reportkit)").first.wait_for()
        _run_all(page, lab)
        stderr = page.locator(".jp-Notebook .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert stderr.count() == 0, stderr.all_inner_texts()  # Run All is clean

        # a new last cell: rk.preview()
        page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputPrompt").click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        page.keyboard.press("Enter")
        page.keyboard.insert_text("rk.preview()")
        page.keyboard.press("Control+Enter")  # run in place (Shift+Enter would add another empty cell)
        _wait_cells_done(page, lab)
        frame_el = page.locator(FRAME)
        frame = page.frame_locator(FRAME)
        frame.locator("#section-engagement").wait_for()
        heading = frame.locator("#section-engagement .chapter-name").inner_text()
        assert heading == "内容种草与电商转化"  # the section's title in the report spec, not "Preview"
        note = page.locator(".reportkit-preview-note").inner_text()
        assert "参数单元格上次运行" in note and "保存的版本" in note, note  # in the report's language
        page.wait_for_function(f"() => document.querySelector(\"{FRAME}\").getBoundingClientRect().height > 2000")
        height = frame_el.bounding_box()["height"]
        content = frame.locator("body").evaluate("b => b.getBoundingClientRect().bottom")
        assert abs(height - content) < 40, (height, content)  # sized to its content, not a fixed 900 px
        assert frame.locator(f"text={STALE_LABEL}").count() == 1
        assert frame.locator("details#rk-preview-more").count() == 1  # the summary and appendix panel
        page.screenshot(path=str(shots / "01-preview.png"))
        whole = context.new_page()  # the frame's page on its own, to see the whole chapter at the frame's width
        whole.set_viewport_size({"width": int(frame_el.bounding_box()["width"]), "height": 1000})
        whole.set_content(frame_el.get_attribute("srcdoc"))
        whole.screenshot(path=str(shots / "01-preview-chapter.png"), full_page=True)
        whole.close()

        # a cross-reference: 「表 2」 in the narrative scrolls the notebook to table 2, in the preview
        link = frame.locator("#section-engagement .prose a[href='#table-2']").first
        link.scroll_into_view_if_needed()
        link.click()
        panel = page.locator(".jp-Notebook").first.bounding_box()
        deadline = time.monotonic() + 5
        while True:  # the notebook scrolls when the frame's message arrives
            target = frame.locator("#table-2").bounding_box()
            if panel["y"] - 5 <= target["y"] <= panel["y"] + 60 or time.monotonic() > deadline:
                break
            page.wait_for_timeout(100)
        assert panel["y"] - 5 <= target["y"] <= panel["y"] + 60, (panel, target)  # table 2 at the top of the notebook
        assert "rk-preview-target" in (frame.locator("#table-2").get_attribute("class") or "")
        assert [f.url for f in page.frames][1:] == ["about:srcdoc"]  # still the chapter, not /login?next=…
        assert frame.locator("#section-engagement").count() == 1 and "/lab/tree/" in page.url
        page.screenshot(path=str(shots / "02-after-click.png"))

        # the order of the chapter's blocks is the build's
        preview_blocks = frame.locator("body").evaluate(f"b => ({BLOCKS_JS})({json.dumps(CHAPTER_BLOCKS)})")
        preview_labels = frame.locator(SUPPLEMENT_LABELS).evaluate_all("els => els.map(e => e.textContent.trim())")
        built_blocks, built_labels = _build_blocks(lab, browser)
        assert preview_blocks == built_blocks
        assert preview_labels == built_labels and built_labels  # the appendix's diagnostics, as numbered there
        assert any("表 2把同一关系" in b for b in preview_blocks)

        # the panel with the section's summary and appendix material opens, and the frame grows with it
        closed = frame_el.bounding_box()["height"]
        frame.locator("#rk-preview-more > summary").click()
        page.wait_for_function(f"() => document.querySelector(\"{FRAME}\").getBoundingClientRect().height > {closed + 200}")
        assert frame.locator("#appendix-methods").is_visible() and frame.locator("#summary").is_visible()
        frame.locator("#rk-preview-more > summary").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "03-appendix-panel.png"))

        # another parameter, Run All (the preview cell runs again, last): the old run's record is gone
        editor = page.locator(".jp-Notebook .jp-CodeCell").first.locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        source = json.loads((lab.project / NOTEBOOK).read_text(encoding="utf-8"))["cells"][1]["source"]
        changed = "".join(source).replace('conversion_metric: str = "add_to_cart"', 'conversion_metric: str = "orders"')
        assert changed != "".join(source)
        page.keyboard.insert_text(changed)
        page.keyboard.press("Escape")
        _run_all(page, lab)
        page.wait_for_function("() => /未显示/.test(document.querySelector('.reportkit-preview-note').textContent)")
        frame.locator("#section-engagement").wait_for()
        note = page.locator(".reportkit-preview-note").inner_text()
        assert "未显示 1 条本次运行没有重新生成的较早记录：true_total。" in note, note
        assert frame.locator(f"text={STALE_LABEL}").count() == 0
        assert frame.locator("#section-engagement").inner_text().count("订单数") > 0  # the new conversion metric
        page.screenshot(path=str(shots / "04-after-parameter-change.png"))
        assert errors == [], errors
    finally:
        context.close()
    print(f"screenshots: {shots}")
