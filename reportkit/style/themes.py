"""Report themes: one folder per theme, its colours, fonts and figure palette in one YAML file.

Layout of ``templates/themes/<name>/``::

    theme.yaml        name, colours, fonts, figure palette, cover style, logo, confidentiality line
    theme.css         optional: extra CSS rules, inlined after the report's own CSS
    <logo>.svg        optional: the logo that ``theme.yaml`` names (inlined on the cover)
    report.html.j2    optional: a template that ``{% extends "report/base.html.j2" %}`` and
                      overrides some of its blocks (head, cover, toc, summary, chapters, appendix)

The CSS custom properties the report's CSS uses (``--rk-accent``, ``--rk-font-sans``, …) are
generated from ``theme.yaml``, so a colour lives in one place; the figures
(:func:`reportkit.analysis.plots.use_theme`) read the palette and font family from the same file.

This module is light on purpose (YAML and pydantic, no Jinja, no WeasyPrint): notebook kernels
import it through ``plots.use_theme``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import yaml_files
from ..errors import RenderError
from ..i18n import TextField

THEME_FILE = "theme.yaml"
THEME_CSS = "theme.css"
THEME_TEMPLATE = "report.html.j2"
DEFAULT_THEME = "default"
CoverStyle = Literal["band", "full", "minimal"]
COVER_STYLES: tuple[str, ...] = ("band", "full", "minimal")
MIN_PALETTE = 6  # figures use up to the sixth colour (plots, heterogeneity, diagnostics, decompose)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FAMILY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._+-]*$")

# what follows a theme's own family, so that a missing font degrades to another CJK font
FALLBACK_FONTS = {
    "sans": ('"Noto Sans CJK SC"', '"Source Han Sans SC"', '"PingFang SC"', '"Microsoft YaHei"',
             '"Helvetica Neue"', "Arial", "sans-serif"),
    "serif": ('"Noto Serif CJK SC"', '"Source Han Serif SC"', '"Songti SC"', '"SimSun"', "Georgia", "serif"),
    "mono": ('"Noto Sans Mono CJK SC"', '"DejaVu Sans Mono"', "Menlo", "Consolas", "monospace"),
}


def default_templates_dir() -> Path:
    """The report templates: the repository's ``templates/``, installed as ``reportkit.templates``."""
    from ..resources import templates_dir

    return templates_dir()


class ThemeColours(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    accent: str  # titles, rules, key figures
    accent_soft: str  # tinted backgrounds (key-figure cards)
    ink: str  # body text
    muted: str  # notes, captions, running heads
    rule: str  # hairlines
    zebra: str  # alternate table rows
    cover_bg: str
    cover_ink: str
    highlight: str | None = None  # optional second colour (cover rule, card tops); default: accent

    @field_validator("*")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _HEX.match(value):
            raise ValueError(f"expected a hex colour such as '#0f4c81', got {value!r}")
        return value.lower()

    def variables(self) -> dict[str, str]:
        """``--rk-<name>`` → colour, every one set (``highlight`` falls back to ``accent``)."""
        values = self.model_dump()
        values["highlight"] = self.highlight or self.accent
        return {f"--rk-{key.replace('_', '-')}": value for key, value in values.items()}


class ThemeFonts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sans: str = "Noto Sans CJK SC"  # headings, captions, tables; figures use it too (must cover CJK)
    serif: str = "Noto Serif CJK SC"
    mono: str = "Noto Sans Mono CJK SC"
    body: Literal["sans", "serif"] = "sans"  # which of the two sets the running text

    @field_validator("sans", "serif", "mono")
    @classmethod
    def _family(cls, value: str) -> str:
        if not isinstance(value, str) or not _FAMILY.match(value.strip()):
            raise ValueError(f"expected one font family name such as 'Noto Sans CJK SC' (letters, digits, "
                             f"spaces, . _ + -), got {value!r}")
        return value.strip()


class Theme(BaseModel):
    """A validated ``theme.yaml``; ``folder`` is where it was read from."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    colours: ThemeColours
    fonts: ThemeFonts = Field(default_factory=ThemeFonts)
    palette: tuple[str, ...]
    cover: CoverStyle = "full"
    logo: str | None = None
    client: TextField | None = None  # the client a branded theme is for (the spec's `client` wins)
    confidentiality: TextField | None = None  # footer line (the spec's `confidentiality` wins)
    folder: Path = Path(".")

    @field_validator("palette")
    @classmethod
    def _palette(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in value if not isinstance(c, str) or not _HEX.match(c)]
        if bad:
            raise ValueError(f"palette colours must be hex colours such as '#1f4e79'; got {bad[0]!r}")
        if len(value) < MIN_PALETTE:
            raise ValueError(f"the figure palette needs at least {MIN_PALETTE} colours, got {len(value)}")
        return tuple(c.lower() for c in value)

    @field_validator("logo")
    @classmethod
    def _logo_name(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if "/" in value or "\\" in value or not value.lower().endswith(".svg") or value.startswith("."):
            raise ValueError(f"logo must be the file name of an SVG in the theme folder, e.g. 'logo.svg'; got {value!r}")
        return value

    # ----------------------------------------------------------------- derived

    def css_variables(self) -> str:
        """The ``:root`` custom properties of this theme (what ``report.css`` uses)."""
        lines = [f"  {key}: {value};" for key, value in self.colours.variables().items()]
        for kind in ("sans", "serif", "mono"):
            family = getattr(self.fonts, kind)
            stack = [f'"{family}"'] + [f for f in FALLBACK_FONTS[kind] if f.strip('"') != family]
            lines.append(f"  --rk-font-{kind}: {', '.join(stack)};")
        lines.append(f"  --rk-font-body: var(--rk-font-{self.fonts.body});")
        return f"/* generated from themes/{self.name}/{THEME_FILE} */\n:root {{\n" + "\n".join(lines) + "\n}\n"

    def css(self) -> str:
        """Custom properties, then the theme's own ``theme.css`` (if any)."""
        extra = self.folder / THEME_CSS
        return self.css_variables() + ("\n" + read_css(extra) if extra.is_file() else "")

    def logo_svg(self) -> str | None:
        """The logo's SVG text, or None when the theme has no logo."""
        if not self.logo:
            return None
        path = self.folder / self.logo
        if not path.is_file():
            raise RenderError(f"{self.folder / THEME_FILE}: logo {self.logo!r} is not a file in {self.folder}")
        return path.read_text(encoding="utf-8")

    def template(self) -> str | None:
        """The theme's own page template (relative to the templates folder), if it has one."""
        return f"themes/{self.name}/{THEME_TEMPLATE}" if (self.folder / THEME_TEMPLATE).is_file() else None


def read_css(path: Path) -> str:
    css = Path(path).read_text(encoding="utf-8")
    if "</" in css:  # would end the inlined <style> early
        raise RenderError(f"{path}: CSS must not contain '</' (it is inlined in a <style> element)")
    return css


def available_themes(templates_dir: Path | None = None) -> tuple[str, ...]:
    """Names of the theme folders (those with a ``theme.yaml``) in ``templates_dir/themes``."""
    folder = Path(templates_dir if templates_dir is not None else default_templates_dir()) / "themes"
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if (p / THEME_FILE).is_file() and _NAME.match(p.name)))


def theme_file(name: str, templates_dir: Path | None = None) -> Path:
    """``themes/<name>/theme.yaml`` in ``templates_dir`` (default: the report templates), whether or not it exists."""
    return Path(templates_dir if templates_dir is not None else default_templates_dir()) / "themes" / name / THEME_FILE


def load_theme(name: str, templates_dir: Path | None = None) -> Theme:
    """Read and validate ``themes/<name>/theme.yaml``; an unknown name lists the themes available."""
    tdir = Path(templates_dir if templates_dir is not None else default_templates_dir()).resolve()
    themes = available_themes(tdir)
    if not isinstance(name, str) or not _NAME.match(name) or name not in themes:
        listed = ", ".join(themes) or f"none (no <name>/{THEME_FILE} folders in {tdir / 'themes'})"
        raise RenderError(f"unknown theme {name!r}; available themes: {listed}")
    return _read_theme(name, tdir, theme_file(name, tdir).stat().st_mtime)


@lru_cache(maxsize=32)
def _read_theme(name: str, tdir: Path, mtime: float) -> Theme:
    """Parse one theme.yaml (cached per file version: ``mtime`` is part of the key)."""
    path = theme_file(name, tdir)
    try:
        raw = yaml_files.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RenderError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise RenderError(f"{path}: expected a mapping of theme fields (name, colours, fonts, palette, …)")
    if raw.get("name", name) != name:
        raise RenderError(f"{path}: name {raw.get('name')!r} differs from the folder name {name!r}")
    try:
        return Theme.model_validate({"name": name, **raw, "folder": path.parent})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise RenderError(f"{path}: {where}: {err['msg']}") from exc
