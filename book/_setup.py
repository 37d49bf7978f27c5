"""Set-up the chapters share: figures that stay legible on a phone and in dark mode.

A chapter calls it once, in its first code cell (the one tagged ``remove-input`` that
also sets the environment), before it draws anything::

    import _setup; _setup.figures()

The chapters run with ``book/`` as their working directory (the book build, nbval,
Jupyter, Binder, a JupyterHub), so ``import _setup`` finds this file.

What it does, and why:

* **Retina PNGs.** Figures are stored at twice their pixel density and shown at their
  usual size (the notebook output carries the display width, which myst-nb writes into
  the page). On a phone a figure wider than the column is shrunk (to 358 px on a 390 px
  screen) and can be tapped to show at full size (``book/_static/cnncourse.js``); both are
  sharp only with the extra pixels. PNG rather than SVG: image plots (kernels, feature
  maps) stay small, and the page needs no vector rendering.
* **Dark mode** needs nothing here: figures keep matplotlib's white background, and
  the book's CSS (``book/_static/cnncourse.css``) puts a white ground behind every figure,
  for one drawn with a transparent background too.

Nothing else changes: figure sizes, fonts and colours stay matplotlib's.
"""
from __future__ import annotations

__all__ = ["figures"]


def figures(formats: tuple[str, ...] = ("retina",)) -> None:
    """Display every later matplotlib figure of this kernel in ``formats``.

    ``formats`` are IPython's figure formats (``"retina"``, ``"png"``, ``"svg"``...).
    Does nothing outside IPython (a plain ``python`` run).
    """
    try:
        from IPython import get_ipython
    except ImportError:  # not in IPython at all
        return
    shell = get_ipython()
    if shell is None:
        return
    # The documented `%config InlineBackend.figure_formats = [...]`: it registers the
    # formats for every Figure displayed from now on (pyplot's, or one a function returns).
    shell.run_line_magic("config", f"InlineBackend.figure_formats = {list(formats)!r}")
