"""How the report looks, shared by the kernels and the renderer: numbers and units as a reader sees
them (:mod:`~reportkit.style.formatting`) and report themes (:mod:`~reportkit.style.themes`: colours,
fonts, figure palette). Analysis code running inside a section's kernel imports these, never
:mod:`reportkit.render` (which loads Jinja2 and WeasyPrint)."""
