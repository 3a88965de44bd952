"""The analyst edition's notebook outputs go through a real sanitiser (nh3), and what it removes is said.

Each payload is put in a notebook output (text/html) or a markdown cell, exported for the appendix,
and the result must run nothing, fetch nothing and pass :func:`check_html`."""

from __future__ import annotations

import base64
import logging
import re

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from reportkit.errors import RenderError
from reportkit.render import check_html
from reportkit.render.notebooks import export_notebooks
from reportkit.render.sanitise import sanitise

PNG = "data:image/png;base64,iVBORw0KGgo="
EVIL_SVG = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><path d="M0 0"/></svg>').decode()

# (payload, what must not survive)
PAYLOADS = [
    (f'<img/src="{PNG}"/onerror=alert(1)>', ["onerror", "alert"]),
    ("<scr<script></script>ipt>alert(1)</scr<script></script>ipt>", ["<script"]),
    ('<a href="javascript:alert(1)">x</a>', ["javascript:"]),
    ('<a href="JaVaScRiPt&#58;alert(1)">x</a>', ["javascript", "alert"]),
    ('<svg onload="alert(1)"><circle r="4"/></svg>', ["onload", "alert", "<svg"]),
    ('<div style="width: expression(alert(1))">x</div>', ["expression", "alert"]),
    ('<div style="background: url(https://evil.example/x.png)">x</div>', ["evil.example", "url("]),
    ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', ["iframe", "srcdoc", "alert"]),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', ["data:text/html", "alert"]),
    ('<img src="https://evil.example/beacon.png">', ["evil.example"]),
    (f'<img src="data:image/svg+xml;base64,{EVIL_SVG}">', [EVIL_SVG[:20]]),
    ('<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>', ["javascript"]),
    ('<form action="https://evil.example"><button formaction="javascript:alert(1)">go</button></form>',
     ["evil.example", "javascript", "<form", "<button"]),
    ('<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x">', ["evil.example"]),
    ('<base href="https://evil.example/"><link rel=stylesheet href="https://evil.example/x.css">', ["evil.example"]),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', ["evil.example", "refresh"]),
    ('<style>@import "https://evil.example/x.css";</style><p>ok</p>', ["evil.example", "@import"]),
    ('<details open ontoggle="alert(1)">x</details>', ["ontoggle", "alert"]),
    ('<!--<img src=x onerror=alert(1)>-->', ["onerror", "alert"]),
]


def notebook_with_output(html: str):
    return new_notebook(cells=[
        new_markdown_cell("# Notes"),
        new_code_cell("show()", execution_count=1,
                      outputs=[new_output("display_data", data={"text/html": html, "text/plain": "<obj>"})]),
    ])


def cells_of(html: str) -> str:
    """The exported notebook without the note on what was removed (which names it, escaped)."""
    if html.startswith('<div class="nb-removed">'):
        return html[html.index("</div>") + len("</div>"):]
    return html


def wrapped(fragment: str) -> str:
    return f'<!DOCTYPE html><html><head><title>t</title></head><body><div class="nb">{fragment}</div></body></html>'


@pytest.mark.parametrize(("payload", "gone"), PAYLOADS, ids=[p[0][:40] for p in PAYLOADS])
def test_a_payload_in_an_output_is_removed_and_the_result_passes_check_html(payload, gone):
    html = str(export_notebooks({"market": notebook_with_output(payload)})["market"])
    lowered = cells_of(html).lower()
    for word in gone:
        assert word.lower() not in lowered, (word, html)
    check_html(wrapped(html))


@pytest.mark.parametrize(("payload", "gone"), PAYLOADS[1:10], ids=[p[0][:40] for p in PAYLOADS[1:10]])
def test_a_payload_in_a_markdown_cell_is_removed_too(payload, gone):
    nb = new_notebook(cells=[new_markdown_cell(f"Notes\n\n{payload}\n")])
    html = str(export_notebooks({"market": nb})["market"])
    for word in gone:
        assert word.lower() not in cells_of(html).lower(), (word, html)
    check_html(wrapped(html))


def test_payloads_that_slipped_past_the_regular_expressions():
    """The old cleaner turned <scr<script></script>ipt> into <script>, and left <img/src=…/onerror=…>
    as it was (no space after the tag name)."""
    out = sanitise("<scr<script></script>ipt>alert(1)</scr<script></script>ipt>", prefix="nb")
    assert "<script" not in out.html.lower() and out.removed()  # said, as the parser saw it
    out = sanitise(f'<img/src="{PNG}"/onerror=alert(1)>', prefix="nb")
    assert out.html == f'<img src="{PNG}">' and out.removed() == ["1 × onerror on <img>"]


def test_check_html_refuses_event_handler_attributes():
    for html in (f'<img src="{PNG}" onerror="alert(1)">', f'<img/src="{PNG}"/onerror=alert(1)>',
                 '<div ONMOUSEOVER="x()">a</div>', '<svg onload="alert(1)"><path d="M0 0L1 1"/></svg>'):
        with pytest.raises(RenderError, match=r"event handler attribute <(img|div|svg) on"):
            check_html(wrapped(html))


def test_what_was_removed_is_logged_and_noted_in_the_appendix_by_cell(caplog):
    nb = notebook_with_output('<p>ok</p><img src="https://evil.example/x.png"><b onclick="x()">b</b><script>1</script>')
    with caplog.at_level(logging.WARNING, logger="reportkit.render.notebooks"):
        html = str(export_notebooks({"market": nb}, removed="Removed:", cell_label="cell {n}")["market"])
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "section 'market'" in logged and "cell 2" in logged
    assert "1 × <script>" in logged and "onclick on <b>" in logged and "src on <img>" in logged
    note = html[:html.index("</div>")]
    assert 'class="nb-removed"' in note and "Removed:" in note
    assert "cell 2: " in note and "1 × &lt;script&gt;" in note and "onclick on &lt;b&gt;" in note
    assert "evil.example" not in cells_of(html)
    assert "<p>ok</p>" in html and "<b>b</b>" in html


def test_routine_removals_are_not_listed():
    """pandas writes a <style scoped> beside every DataFrame: removed (the report styles tables)
    without a note."""
    nb = notebook_with_output('<style scoped>.dataframe td { color: red }</style><table class="dataframe">'
                              '<tr style="text-align: right;"><td>1</td></tr></table>')
    html = str(export_notebooks({"market": nb})["market"])
    assert "nb-removed" not in html and "<style" not in html and "color: red" not in html
    assert 'style="text-align:right"' in html and 'class="dataframe"' in html


def test_ids_and_in_page_links_are_prefixed_and_other_links_dropped():
    nb = notebook_with_output('<h2 id="top">T</h2><a href="#top">up</a><a href="https://x.example/">out</a>'
                              f'<img src="{PNG}" alt="a chart">')
    html = str(export_notebooks({"my section": nb})["my section"])
    assert 'id="nb-my-section-top"' in html and 'href="#nb-my-section-top"' in html
    assert "x.example" not in cells_of(html) and "href on &lt;a&gt;" in html
    assert f'src="{PNG}"' in html and 'alt="a chart"' in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert ids and all(i.startswith("nb-my-section-") for i in ids)


def test_an_svg_output_that_would_run_code_is_dropped_and_said():
    nb = new_notebook(cells=[new_code_cell("plot()", execution_count=1, outputs=[new_output(
        "display_data", data={"image/svg+xml": '<svg onload="alert(1)"><path d="M0 0L1 1"/></svg>',
                              "text/plain": "<Figure>"})])])
    html = str(export_notebooks({"m": nb})["m"])
    assert "SVG image output" in html and "event handler" in html
    assert "image/svg+xml" not in html
    check_html(wrapped(html))
