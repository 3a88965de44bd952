"""Themes: folders in templates/themes/ whose theme.yaml sets the report's CSS and the figures' palette."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from test_render import FIXED_BUILD_INFO, fixed_results, fixed_spec

from reportkit.errors import RenderError
from reportkit.render import check_html, render_html
from reportkit.style.themes import available_themes, default_templates_dir, load_theme

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def templates(tmp_path) -> Path:
    """A copy of the project's templates to add or break themes in."""
    tdir = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), tdir)
    return tdir


def _render(build_theme: str | None = None, lang: str = "zh", templates_dir: Path | None = None, **spec) -> str:
    """Render the fixed test report with ``build_theme`` (None: the spec's); ``spec``: changes to the spec."""
    return render_html(fixed_spec(**spec), fixed_results(), lang=lang, build_info=FIXED_BUILD_INFO, theme=build_theme,
                       templates_dir=templates_dir)


def _variables(html: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*(--rk-[a-z-]+): ([^;]+);", html, re.MULTILINE))


def test_the_shipped_themes_are_valid():
    assert available_themes() == ("acme", "default")
    default, acme = load_theme("default"), load_theme("acme")
    assert default.cover != acme.cover and default.palette != acme.palette
    assert acme.client.zh == "艾克米零售研究" and acme.client.en == "Acme Retail Research"
    assert acme.logo_svg() and default.logo_svg()


def test_default_theme_palette_is_the_figure_default():
    from reportkit.analysis import plots

    assert load_theme("default").palette == plots.DEFAULT_PALETTE


def test_switching_theme_changes_css_variables_cover_and_logo():
    default, acme = _render(), _render("acme")
    dv, av = _variables(default), _variables(acme)
    assert dv["--rk-accent"] == "#0f4c81" and av["--rk-accent"] == "#1b5e3b"
    assert dv["--rk-highlight"] == dv["--rk-accent"] and av["--rk-highlight"] == "#e8a317"
    assert av["--rk-font-body"] == "var(--rk-font-serif)"
    assert 'class="cover cover-full"' in default and 'class="cover cover-band"' in acme
    assert "<title>Acme Retail Research</title>" in acme and "<title>Acme" not in default
    assert "/* generated from themes/acme/theme.yaml */" in acme
    check_html(acme)


def test_theme_given_to_render_overrides_the_spec():
    html = _render("acme", theme="default")  # the spec says default, the build says acme
    assert _variables(html)["--rk-accent"] == "#1b5e3b"
    assert _variables(_render(None, theme="acme"))["--rk-accent"] == "#1b5e3b"


def test_unknown_theme_lists_the_available_ones():
    with pytest.raises(RenderError, match=r"unknown theme 'neon'; available themes: acme, default"):
        _render("neon")
    with pytest.raises(RenderError, match=r"unknown theme '\.\./default'; available themes"):
        _render("../default")


def test_use_theme_sets_the_figure_palette_and_font():
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    from reportkit.analysis import plots

    try:
        plots.use_theme("acme")
        cycle = [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
        assert cycle == list(load_theme("acme").palette) and plots.PALETTE == load_theme("acme").palette
        assert mpl.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
        fig = plots.coefficient_plot({"estimate": [0.3], "ci_low": [0.1], "ci_high": [0.5]}, labels=["当期"],
                                     x_label="弹性")
        assert to_hex(fig.axes[0].lines[0].get_color()) == "#1b5e3b"  # PALETTE[0] of acme
        import matplotlib.pyplot as plt

        plt.close(fig)
    finally:
        plots.use_theme("default")
    assert plots.PALETTE == plots.DEFAULT_PALETTE
    assert [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]] == list(plots.DEFAULT_PALETTE)


def test_use_theme_refuses_an_unknown_theme_and_a_font_that_is_not_installed(templates):
    from reportkit.analysis import plots

    with pytest.raises(RenderError, match=r"unknown theme 'neon'; available themes: acme, default"):
        plots.use_theme("neon")
    theme = yaml.safe_load((templates / "themes" / "acme" / "theme.yaml").read_text(encoding="utf-8"))
    theme["name"] = "nofont"
    theme["fonts"]["sans"] = "Comic Sans Nowhere"
    (templates / "themes" / "nofont").mkdir()
    (templates / "themes" / "nofont" / "theme.yaml").write_text(yaml.safe_dump(theme, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RenderError, match=r"theme 'nofont'.*'Comic Sans Nowhere'.*Chinese glyphs"):
        plots.use_theme("nofont", templates_dir=templates)
    assert plots.PALETTE == plots.DEFAULT_PALETTE  # nothing changed


@pytest.mark.parametrize(("change", "message"), [
    ({"colours": {"accent": "blue"}}, r"colours\.accent: .*hex colour"),
    ({"palette": ["#000000"]}, r"palette: .*at least 6 colours"),
    ({"cover": "diagonal"}, r"cover: Input should be 'band', 'full' or 'minimal'"),
    ({"logo": "../../secret.svg"}, r"logo: .*file name of an SVG in the theme folder"),
    ({"fonts": {"sans": 'Evil"; } body {'}}, r"fonts\.sans: .*one font family name"),
    ({"name": "other"}, r"name 'other' differs from the folder name 'acme'"),
])
def test_a_bad_theme_yaml_names_the_file_and_the_field(templates, change, message):
    path = templates / "themes" / "acme" / "theme.yaml"
    theme = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in change.items():
        if isinstance(value, dict):
            theme[key] = {**theme[key], **value}
        else:
            theme[key] = value
    path.write_text(yaml.safe_dump(theme, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RenderError, match=rf"acme/theme\.yaml: .*{message}|acme/theme\.yaml: {message}"):
        _render("acme", templates_dir=templates)


def test_a_logo_with_a_script_or_external_reference_is_refused(templates):
    (templates / "themes" / "acme" / "acme-logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.com/logo.png"/></svg>', encoding="utf-8")
    with pytest.raises(RenderError, match=r"refusing the SVG of theme 'acme', logo 'acme-logo\.svg'.*example\.com"):
        _render("acme", templates_dir=templates)


def test_theme_css_is_inlined_after_the_generated_variables(templates):
    (templates / "themes" / "acme" / "theme.css").write_text(".kpi-number { letter-spacing: 0.02em; }\n",
                                                             encoding="utf-8")
    html = _render("acme", templates_dir=templates)
    assert html.index("--rk-accent: #1b5e3b") < html.index(".kpi-number { letter-spacing: 0.02em; }")


def test_a_theme_template_can_extend_the_layout_and_override_blocks(templates):
    (templates / "themes" / "acme" / "report.html.j2").write_text(
        '{% extends "report/base.html.j2" %}\n'
        '{% block cover %}<section class="cover cover-custom" id="cover"><h1 class="cover-title">{{ title }}</h1>'
        '<p>{{ client }}</p></section>{% endblock %}\n'
        '{% block appendix %}{{ super() }}<p class="acme-colophon">{{ t.prepared_for }} {{ client }}</p>{% endblock %}\n',
        encoding="utf-8")
    html = _render("acme", templates_dir=templates, client=None)
    assert '<section class="cover cover-custom" id="cover">' in html and "cover-band" not in html.split("<body")[1]
    assert '<p class="acme-colophon">委托方 艾克米零售研究</p>' in html  # the theme's client, as the spec has none
    assert 'id="appendix"' in html and 'id="section-market"' in html  # the other blocks are the base's
    check_html(html)


def test_build_refuses_an_unknown_theme_before_anything_runs(tmp_path):
    from reportkit.build import build_report

    with pytest.raises(RenderError, match=r"unknown theme 'neon'; available themes: acme, default"):
        build_report(ROOT / "reports" / "china-ecommerce-2024.yaml", out=tmp_path / "out", theme="neon")
    assert not (tmp_path / "out").exists()


def test_plan_passes_the_theme_to_notebooks_that_declare_it():
    from reportkit.plan import THEME_PARAMETER, make_plan
    from reportkit.spec import load_spec

    spec = load_spec(ROOT / "reports" / "china-ecommerce-2024.yaml")
    default, acme = make_plan(spec), make_plan(spec, theme="acme")
    assert all(r.parameters[THEME_PARAMETER] == "default" for r in default.runs)
    assert all(r.parameters[THEME_PARAMETER] == "acme" for r in acme.runs) and acme.theme == "acme"
    assert {r.run_key for r in default.runs}.isdisjoint(r.run_key for r in acme.runs)  # figures differ


def test_notebooks_declare_the_theme_parameter_and_use_it():
    import nbformat

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert 'theme: str = "default"  # report theme' in params.source, path.name
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "plots.use_theme(theme)" in code and "plots.use_theme()" not in code, path.name


@pytest.mark.parametrize(("option", "expected"), [
    (["--theme", "neon"], "unknown theme 'neon'; available themes: acme, default"),
    (["--edition", "bogus"], "unknown edition 'bogus'; expected one of client, analyst"),
])
def test_cli_refuses_unknown_theme_or_edition_in_one_paragraph(tmp_path, option, expected):
    import subprocess
    import sys

    proc = subprocess.run(
        [str(Path(sys.executable).parent / "reportkit"), "build", str(ROOT / "reports" / "china-ecommerce-2024.yaml"),
         "--out", str(tmp_path / "out"), *option],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 1 and expected in " ".join(proc.stderr.split()) and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_run_key_follows_an_edit_of_the_theme_its_figures_are_drawn_with(tmp_path, monkeypatch):
    """The figures are drawn inside the runs, with the palette and fonts of themes/<theme>/theme.yaml:
    editing that file must run those sections again (before, only the build key changed, and the
    report printed figures in the old colours beside pages in the new ones)."""
    from reportkit import plan as plan_module
    from reportkit.resources import templates_dir
    from reportkit.spec import load_spec

    spec = load_spec(ROOT / "reports" / "china-ecommerce-2024.yaml")
    copy = tmp_path / "templates"
    shutil.copytree(templates_dir(), copy)
    monkeypatch.setattr("reportkit.resources.templates_dir", lambda: copy)

    def keys() -> dict[str, str]:
        return {r.section: r.run_key for r in plan_module.make_plan(spec).runs}

    before = keys()
    theme = copy / "themes" / "default" / "theme.yaml"
    theme.write_text(theme.read_text(encoding="utf-8").replace('"#0f4c81"', '"#7a1f1f"'), encoding="utf-8")
    after = keys()
    assert all(before[s] != after[s] for s in before)
    acme = copy / "themes" / "acme" / "theme.yaml"  # a theme these runs do not use
    acme.write_text(acme.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert keys() == after
