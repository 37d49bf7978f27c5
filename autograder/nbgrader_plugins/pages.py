"""Where the formgrader and the feedback find their templates: the course's first, then nbgrader's.

``templates/base/mathjax.html.j2`` replaces nbconvert's CDN MathJax by Debian's, inlined
(``offline_math.py``); ``templates/formgrade/index.html.j2`` extends nbgrader's formgrade
page with the model answers (``model_answers.py``). nbgrader's own templates stay in
charge of everything else, so nbgrader's formgrader JavaScript finds the page it expects.
"""
from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"


def nbgrader_formgrader() -> Path:
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader"


def template_basedirs() -> list:
    """``HTMLExporter.extra_template_basedirs``: ours shadow nbgrader's, which shadow nbconvert's."""
    return [str(TEMPLATES), str(nbgrader_formgrader() / "templates")]


def template_paths() -> list:
    """``HTMLExporter.extra_template_paths``: nbgrader's formgrader folder, so that our formgrade
    page can extend nbgrader's as ``templates/formgrade/index.html.j2``."""
    return [str(nbgrader_formgrader())]
