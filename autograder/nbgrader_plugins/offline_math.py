"""Math in the formgrader and the feedback without a network: Debian's MathJax, inlined.

nbconvert's ``mathjax()`` template macro loads MathJax 2.7 from a CDN, so offline (a
grading machine without internet, a student reading feedback on a train) every formula
stays raw TeX and the formgrader's script stops at ``MathJax is not defined``. The
course's template folder (``templates/base/mathjax.html.j2``) replaces that macro by the
``offline_mathjax`` filter below, which writes MathJax into the page itself: the core,
the ``TeX-AMS_CHTML`` combination, the CommonHTML fonts' data and the autoloaded TeX
extensions, ``Safe.js`` (student TeX cannot add links, styles or ids), and the web
fonts as ``data:`` URLs. The feedback file stays one self-contained HTML file (nbgrader
releases only ``*.html``); the page grows by about 1 MB.

The configuration is nbconvert's (same delimiters, AMS numbering, CommonHTML output).
Startup waits until every inlined file has registered itself (``delayStartupUntil:
"configured"``), so MathJax never asks the network for a file.
"""
from __future__ import annotations

import base64
import functools
import json
from pathlib import Path

MATHJAX = Path("/usr/share/javascript/mathjax")  # Debian's libjs-mathjax (tools/setup.sh installs it)
COMBINED = "config/TeX-AMS_CHTML-full.js"
# Files the combination above loads on demand, in an order that meets their dependencies:
# folders of MathJax's own tree (fontdata.js first), then single files.
ON_DEMAND_FOLDERS = ("jax/output/CommonHTML/fonts/TeX", "jax/output/CommonHTML/autoload", "jax/element/mml/optable")
ON_DEMAND_FILES = ("extensions/Safe.js",
                   # the extensions TeX input autoloads when a formula uses one of their macros
                   *[f"extensions/TeX/{name}.js" for name in (
                       "action", "bbox", "begingroup", "boldsymbol", "cancel", "color", "enclose", "extpfeil", "HTML",
                       "mathchoice", "newcommand", "unicode", "verb")])
WOFF = "fonts/HTML-CSS/TeX/woff"
CONFIG = {
    "delayStartupUntil": "configured",
    "jax": ["input/TeX", "output/CommonHTML", "output/PreviewHTML"],
    "extensions": ["tex2jax.js", "MathEvents.js", "MathZoom.js", "MathMenu.js", "toMathML.js", "fast-preview.js",
                   "AssistiveMML.js", "Safe.js"],
    "TeX": {"extensions": ["AMSmath.js", "AMSsymbols.js", "noErrors.js", "noUndefined.js"],
            "equationNumbers": {"autoNumber": "AMS", "useLabelIds": True}},
    "tex2jax": {"inlineMath": [["$", "$"], ["\\(", "\\)"]], "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
                "processEscapes": True, "processEnvironments": True},
    "displayAlign": "center", "messageStyle": "none",
    "CommonHTML": {"linebreaks": {"automatic": True}},
    "menuSettings": {"zoom": "None"},
}
# Runs right after fontdata.js: its @font-face rules point at woff files next to MathJax.js,
# which an inlined MathJax does not have; they get the fonts themselves instead.
FONT_PATCH = """(function (fonts) {
  var rules = MathJax.OutputJax.CommonHTML.config.styles["@font-face"] || [];
  for (var i = 0; i < rules.length; i++) {
    var src = rules[i]["src /*2*/"], name = src && src.match(/\\/TeX\\/woff\\/([\\w-]+)\\.woff/);
    if (name && fonts[name[1]]) {
      rules[i]["src /*2*/"] = "url(data:font/woff;base64," + fonts[name[1]] + ") format('woff')";
      delete rules[i]["src /*1*/"];
    }
  }
})(%s);
"""


def _read(relative: str) -> str:
    path = MATHJAX / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: install Debian's libjs-mathjax (tools/setup.sh does)")
    return path.read_text(encoding="utf-8")


def _fonts() -> dict:
    folder = MATHJAX / WOFF
    return {path.stem: base64.b64encode(path.read_bytes()).decode() for path in sorted(folder.glob("*.woff"))}


def on_demand() -> list:
    """The on-demand files, relative to MathJax's folder."""
    files = []
    for folder in ON_DEMAND_FOLDERS:
        found = sorted((MATHJAX / folder).glob("*.js"), key=lambda p: (p.stem != "fontdata", p.name))
        if not found:
            raise FileNotFoundError(f"{MATHJAX / folder} is missing: install Debian's libjs-mathjax")
        files += [f"{folder}/{p.name}" for p in found]
    return files + list(ON_DEMAND_FILES)


@functools.lru_cache(maxsize=1)
def script() -> str:
    """The JavaScript of the inlined MathJax (configuration, files, start)."""
    parts = [f"window.MathJax = {json.dumps(CONFIG)};", _read("MathJax.js"), _read(COMBINED)]
    for relative in on_demand():
        parts.append(_read(relative))
        if relative.endswith("/fontdata.js"):
            parts.append(FONT_PATCH % json.dumps(_fonts()))
    parts.append("MathJax.Hub.Configured();")
    # `</script` inside the code would end the element early
    return "\n;\n".join(parts).replace("</script", "<\\/script")


def offline_mathjax(url=None) -> str:
    """Template filter: the ``<script>`` that replaces nbconvert's CDN MathJax (``url`` ignored)."""
    return f'<script type="text/javascript">\n{script()}\n</script>'
