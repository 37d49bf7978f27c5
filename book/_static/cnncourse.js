/* The book's own script (html_js_files in _config.yml): figures that can be enlarged.
 *
 * A figure wider than the text column is shown shrunk to the column (on a 390 px phone,
 * 358 px), too small for its labels. Each figure of the page body is wrapped in a
 * `.cnn-zoom` box; when the figure is shrunk by more than 10 %, the box becomes
 * `cnn-zoomable`: a tap, a click, Enter or Space shows the figure at its own size in a box
 * that scrolls sideways (`cnn-zoomed`), and the same again shrinks it back. Nothing
 * changes for a figure that already fits. Styles: cnncourse.css, section 2.
 * tests/test_book_browser.py exercises it at 390 px.
 */
(function () {
  "use strict";

  var SHRUNK = 0.9; // zoomable when shown at under 90 % of its own width

  /* The figure's own width in CSS pixels, as the page first sets it: myst-nb writes a
   * notebook's display width (a retina figure has twice as many pixels) as an inline
   * `style="width: ...px"`, an HTML image may have a width attribute; else its pixels. */
  function ownWidth(img) {
    if (img.dataset.cnnWidth) return parseFloat(img.dataset.cnnWidth);
    var styled = /px$/.test(img.style.width) ? parseFloat(img.style.width) : NaN;
    var attr = parseFloat(img.getAttribute("width"));
    return styled > 0 ? styled : attr > 0 ? attr : img.naturalWidth;
  }

  /* Width the <img> box needs to show ownWidth: plus its padding and border (the theme
   * uses border-box sizing, and gives output images padding in dark mode). */
  function boxWidth(img) {
    var style = window.getComputedStyle(img);
    var extra = ["paddingLeft", "paddingRight", "borderLeftWidth", "borderRightWidth"]
      .reduce(function (sum, key) { return sum + (parseFloat(style[key]) || 0); }, 0);
    return style.boxSizing === "border-box" ? ownWidth(img) + extra : ownWidth(img);
  }

  function setZoomed(box, img, zoomed) {
    box.classList.toggle("cnn-zoomed", zoomed);
    img.style.width = zoomed ? boxWidth(img) + "px" : img.dataset.cnnStyleWidth;
    box.setAttribute("aria-expanded", zoomed ? "true" : "false");
    box.title = zoomed ? "Show the figure to fit the page" : "Show the figure at full size";
  }

  /* Zoomable or not, from the width the figure has when it is not zoomed. */
  function update(box, img) {
    if (!img.naturalWidth) return; // not decoded yet: the load event calls again
    if (box.classList.contains("cnn-zoomed")) return;
    if (!img.dataset.cnnWidth) img.dataset.cnnWidth = String(ownWidth(img));
    var zoomable = img.getBoundingClientRect().width < SHRUNK * ownWidth(img);
    box.classList.toggle("cnn-zoomable", zoomable);
    if (zoomable) {
      box.setAttribute("role", "button");
      box.setAttribute("tabindex", "0");
      box.setAttribute("aria-expanded", "false");
      box.title = "Show the figure at full size";
    } else {
      ["role", "tabindex", "aria-expanded", "title"].forEach(function (name) {
        box.removeAttribute(name);
      });
    }
  }

  function wrap(img) {
    if (img.closest(".cnn-zoom") || img.closest("a")) return null; // linked images keep their link
    img.dataset.cnnStyleWidth = img.style.width; // restored when the figure shrinks back
    var box = document.createElement("div");
    box.className = "cnn-zoom";
    img.parentNode.insertBefore(box, img);
    box.appendChild(img);
    function toggle(event) {
      if (!box.classList.contains("cnn-zoomable")) return;
      event.preventDefault();
      setZoomed(box, img, !box.classList.contains("cnn-zoomed"));
      if (!box.classList.contains("cnn-zoomed")) update(box, img);
    }
    box.addEventListener("click", toggle);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") toggle(event);
    });
    img.addEventListener("load", function () { update(box, img); });
    update(box, img);
    return [box, img];
  }

  function setUp() {
    var figures = [];
    document
      .querySelectorAll(".bd-article .cell_output img, .bd-article figure img, .bd-article img.cnn-figure")
      .forEach(function (img) {
        var pair = wrap(img);
        if (pair) figures.push(pair);
      });
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        figures.forEach(function (pair) { update(pair[0], pair[1]); });
      }, 100);
    });
  }

  if (document.readyState !== "loading") setUp();
  else document.addEventListener("DOMContentLoaded", setUp);
})();
