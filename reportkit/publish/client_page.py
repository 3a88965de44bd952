"""The client's page, ``DEST/<client>/index.html``: what a client opens to find their reports.

One card per report, newest first: a thumbnail of its cover, its title and dates, the executive
summary's key figures (the spec's ``summary``, formatted as the report shows them), the latest
version's downloads (PDF, web page, data pack, each with its size and SHA-256, and the release
manifest) and the version history: for each version, what changed since the one before, computed
from the two release manifests (parameters per section, data files, the code: reportkit, the
commit, the environment, a section's analysis) and the release notes the spec gave.

The page is themed like the reports (the theme recorded by the latest release: its colours, font
families and logo) and written in the language of the client's latest release; a report in another
language gets its card in its own language. Its fixed strings are the catalogue's ``client_page``
group (:mod:`reportkit.i18n`). It is one self-contained file: CSS inline, the logo a ``data:`` URI,
no script, nothing fetched; its links are relative and stay inside the client's folder, so it works
wherever the folder is served from. Every string from a manifest is escaped (Jinja autoescape).

The page is a function of the releases only (no clock): publishing compares it with the page in the
destination to find a stale one. :func:`cover_thumbnail` makes the ``cover.png`` a release keeps
beside its PDF (page 1, rendered with PDFium).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .. import hanzi, i18n
from ..render.pages import environment, href, page_strings, page_theme, theme_head
from ..style import formatting
from ..style.themes import DEFAULT_THEME

#: the page's template (its style sheet, shared with the batch index: reportkit.render.pages)
TEMPLATE = "publish/client.html.j2"
#: the catalogue group of the page's fixed strings
GROUP = "client_page"
#: the cover thumbnail a release keeps beside report.pdf, and its width in pixels (shown at about
#: half that: sharp on high-density screens)
COVER = "cover.png"
COVER_WIDTH = 320
#: how many of the executive summary's key figures a card shows
KEY_FIGURES = 5
#: the downloads, in the order a card lists them (catalogue key of each label); other files follow
DOWNLOADS = {"report.pdf": "download_pdf", "report.html": "download_html", "report-data.xlsx": "download_xlsx"}
MANIFEST = "manifest.json"

ChangeKind = Literal["parameter_changed", "parameter_added", "parameter_removed", "section_added",
                     "section_removed", "notebook", "run", "data_changed", "data_added", "data_removed",
                     "reportkit", "commit", "environment"]


# --------------------------------------------------------------------------- what changed


@dataclass(frozen=True)
class Change:
    """One difference between a version and the one before it. The page writes it with the
    catalogue's ``change_<kind>`` pattern, filled with these fields (``subject``: a section id, a
    data file or a package; ``name``: a parameter)."""

    kind: ChangeKind
    subject: str = ""
    name: str = ""
    old: str = ""
    new: str = ""


def _sections(build: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(s.get("id")): s for s in build.get("sections") or [] if isinstance(s, Mapping)}


def _short(value: Any, n: int = 12) -> str:
    return str(value or "")[:n]


def version_changes(newer: Mapping[str, Any], older: Mapping[str, Any] | None) -> list[Change]:
    """What changed from the release ``older`` to ``newer`` (release manifests, as
    :func:`reportkit.publish.release.releases_of` gives them); [] for the first version."""
    if older is None:
        return []
    new, old = newer.get("build") or {}, older.get("build") or {}
    changes: list[Change] = []
    new_sections, old_sections = _sections(new), _sections(old)
    for sid in [s for s in old_sections if s not in new_sections]:
        changes.append(Change("section_removed", sid))
    for sid, section in new_sections.items():
        before = old_sections.get(sid)
        if before is None:
            changes.append(Change("section_added", sid))
            continue
        p_new, p_old = dict(section.get("parameters") or {}), dict(before.get("parameters") or {})
        params = [*p_old, *(k for k in p_new if k not in p_old)]
        section_changes = len(changes)
        for name in params:
            if name not in p_new:
                changes.append(Change("parameter_removed", sid, name, old=formatting.format_parameter(p_old[name])))
            elif name not in p_old:
                changes.append(Change("parameter_added", sid, name, new=formatting.format_parameter(p_new[name])))
            elif p_new[name] != p_old[name]:
                changes.append(Change("parameter_changed", sid, name, formatting.format_parameter(p_old[name]),
                                      formatting.format_parameter(p_new[name])))
        if section.get("notebook") != before.get("notebook"):
            changes.append(Change("notebook", sid, old=str(before.get("notebook")), new=str(section.get("notebook"))))
        elif len(changes) == section_changes and section.get("run_key") != before.get("run_key"):
            # same parameters and notebook file, another run key: the notebook's code or an input changed
            changes.append(Change("run", sid, old=_short(before.get("run_key")), new=_short(section.get("run_key"))))
    d_new = {str(d.get("path")): str(d.get("sha256")) for d in new.get("data") or [] if isinstance(d, Mapping)}
    d_old = {str(d.get("path")): str(d.get("sha256")) for d in old.get("data") or [] if isinstance(d, Mapping)}
    for path in [*d_old, *(p for p in d_new if p not in d_old)]:
        if path not in d_new:
            changes.append(Change("data_removed", path, old=_short(d_old[path])))
        elif path not in d_old:
            changes.append(Change("data_added", path, new=_short(d_new[path])))
        elif d_new[path] != d_old[path]:
            changes.append(Change("data_changed", path, old=_short(d_old[path]), new=_short(d_new[path])))
    if new.get("reportkit_version") != old.get("reportkit_version"):
        changes.append(Change("reportkit", old=str(old.get("reportkit_version")), new=str(new.get("reportkit_version"))))
    g_new, g_old = new.get("git") or {}, old.get("git") or {}
    if (g_new.get("commit"), g_new.get("dirty")) != (g_old.get("commit"), g_old.get("dirty")):
        changes.append(Change("commit", old=_commit(g_old), new=_commit(g_new)))
    e_new, e_old = dict(new.get("environment") or {}), dict(old.get("environment") or {})
    for package in sorted(set(e_new) | set(e_old)):
        if e_new.get(package) != e_old.get(package):
            changes.append(Change("environment", package, old=str(e_old.get(package, formatting.MISSING)),
                                  new=str(e_new.get(package, formatting.MISSING))))
    return changes


def _commit(git: Mapping[str, Any]) -> str:
    return _short(git.get("commit")) + ("-dirty" if git.get("dirty") else "")  # as `git describe --dirty`


# --------------------------------------------------------------------------- the cover


def cover_thumbnail(pdf: bytes, *, width: int = COVER_WIDTH) -> bytes | None:
    """Page 1 of the PDF as a PNG ``width`` pixels wide; None when PDFium cannot read the PDF (a
    release is then published without a thumbnail and its card shows the title instead: a
    thumbnail never stops a publish of a build whose hashes checked)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return None
    try:
        if len(document) == 0:
            return None
        page = document[0]
        points = page.get_width()
        bitmap = page.render(scale=width / points if points > 0 else 1, rev_byteorder=True, may_draw_forms=False)
        out = io.BytesIO()
        bitmap.to_pil().save(out, format="PNG", optimize=True)  # Pillow: matplotlib's image library
        return out.getvalue()
    except pdfium.PdfiumError:
        return None
    finally:
        document.close()


# --------------------------------------------------------------------------- the page


def _date(iso: Any) -> str:
    return str(iso or "")[:10]


def _size(n: Any, t: Mapping[str, str]) -> str:
    if not isinstance(n, int) or isinstance(n, bool):
        return formatting.MISSING
    if n < 1024:
        return t["size_bytes"].format(n=formatting.format_number(n))
    if n < 1024 * 1024:
        return t["size_kb"].format(n=formatting.format_number(n / 1024, 1))
    return t["size_mb"].format(n=formatting.format_number(n / 1024 / 1024, 1))


def _key_figures(build: Mapping[str, Any], lang: str) -> list[dict[str, str]]:
    """The spec's summary metrics as the report's executive summary shows them (label, number, unit)."""
    sections = _sections(build)
    convert = hanzi.converter(lang) if hanzi.is_variant(lang) else str  # labels are recorded in the run's language
    figures = []
    for ref in build.get("summary") or []:
        section_id, _, name = str(ref).partition(".")
        metric = (sections.get(section_id, {}).get("metrics") or {}).get(name)
        if not isinstance(metric, Mapping):
            continue
        text = formatting.format_value(metric.get("value"), str(metric.get("unit") or ""), metric.get("decimals"),
                                       lang=lang)
        number, space, unit = formatting.split_number(text)
        figures.append({"label": convert(str(metric.get("label") or name)), "number": number, "space": space,
                        "unit": unit})
        if len(figures) == KEY_FIGURES:
            break
    return figures


def _downloads(report: str, release: Mapping[str, Any], t: Mapping[str, str]) -> list[dict[str, Any]]:
    files = release.get("files") or {}
    names = [n for n in DOWNLOADS if n in files] + sorted(n for n in files if n not in DOWNLOADS and n != COVER)
    version = str(release["version"])
    out = [{"label": t[DOWNLOADS[n]] if n in DOWNLOADS else t["download_other"].format(name=n), "name": n,
            "href": href(report, version, n), "size": _size(files[n].get("bytes"), t),
            "sha256": str(files[n].get("sha256", "")), "kind": n.rsplit(".", 1)[-1]} for n in names]
    out.append({"label": t["download_manifest"], "name": MANIFEST, "href": href(report, version, MANIFEST),
                "size": "", "sha256": "", "kind": "json"})
    return out


def _card(report: str, versions: Sequence[Mapping[str, Any]], page_lang: str, n: int) -> dict[str, Any]:
    latest = versions[0]
    build = latest.get("build") or {}
    lang = str(build.get("language") or page_lang)
    lang = lang if lang in i18n.EDITIONS else page_lang
    t = page_strings(GROUP, lang)
    history = []
    for i, release in enumerate(versions):
        older = versions[i + 1] if i + 1 < len(versions) else None
        b = release.get("build") or {}
        notes = b.get("release_notes")
        if older is not None and notes == (older.get("build") or {}).get("release_notes"):
            notes = None  # the spec's notes did not change: they describe an earlier version
        history.append({
            "version": str(release["version"]), "published": _date(release.get("published")),
            "built": _date(b.get("generated")), "first": older is None, "notes": notes,
            "changes": version_changes(release, older),
            "files": [{"name": f["name"], "href": f["href"]} for f in _downloads(report, release, t)],
        })
    files = latest.get("files") or {}
    return {
        "id": f"report-{n}", "report": report, "lang": lang, "html_lang": i18n.html_lang(lang), "t": t,
        "title": str(build.get("title") or report), "version": str(latest["version"]),
        "published": _date(latest.get("published")), "built": _date(build.get("generated")),
        "language_name": i18n.catalogue("language", lang)["name"], "pages": build.get("pdf_pages"),
        "cover": href(report, str(latest["version"]), COVER) if COVER in files else None,
        "figures": _key_figures(build, lang), "downloads": _downloads(report, latest, t), "history": history,
    }


def _newest(versions: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    m = versions[0]
    return (str(m.get("published", "")), str((m.get("build") or {}).get("generated", "")))


def render_client_page(client: str, releases: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """The client's ``index.html`` from their releases (report → release manifests, newest first)."""
    reports = sorted(((r, v) for r, v in releases.items() if v), key=lambda rv: (_newest(rv[1]), rv[0]),
                     reverse=True)
    languages = [str((v[0].get("build") or {}).get("language") or "") for _, v in reports]
    lang = next((lg for lg in languages if lg in i18n.EDITIONS), i18n.DEFAULT_LANGUAGE)
    theme = page_theme(str((reports[0][1][0].get("build") or {}).get("theme") or DEFAULT_THEME)
                       if reports else DEFAULT_THEME)
    cards = [_card(report, versions, lang, n) for n, (report, versions) in enumerate(reports, start=1)]
    updated = max((_newest(v)[0] for _, v in reports), default="")
    head = theme_head(theme, lang)
    template = environment().get_template(TEMPLATE)
    return template.render(client=client, name=head["brand"] or client, lang=lang, html_lang=i18n.html_lang(lang),
                           t=page_strings(GROUP, lang), cards=cards, updated=_date(updated), **head) + "\n"
