// SPDX-License-Identifier: MIT
//
// web_static.c: fed-web's only style sheet and script, served from memory
// (/static/app.css, /static/app.js): nothing is fetched from elsewhere, so
// the pages work offline. Large type and strong contrast for a classroom
// projector; the colours of the keys are the charts' (web_svg.c). The
// script only refreshes the live figures ([data-live-series]) every 5 s
// from /api/live and lets the keyboard reach a table that scrolls; every
// page works without it. The layout follows the
// screen: curves take the whole width with their boxes under them, and a
// table wider than the screen scrolls by itself, never the page.

#include "web_pages_internal.h"

const char web_static_css[]
    = "body{font-family:system-ui,sans-serif;font-size:18px;margin:0;"
      "color:#111;background:#fff;line-height:1.4}\n"
      "nav{background:#1b2f4b;padding:.5em 1em;display:flex;gap:1em;"
      "flex-wrap:wrap;align-items:center}\n"
      "nav a{color:#fff;text-decoration:none;font-weight:600}\n"
      "nav a[aria-current]{text-decoration:underline}\n"
      "nav .lang{margin-left:auto}\n"
      "nav form{display:inline;color:#fff}\n"
      "main{padding:1em 2em}\n"
      "h1{font-size:1.8em;margin:.3em 0}\n"
      "table{border-collapse:collapse;margin:.5em 0;display:block;"
      "max-width:100%;overflow-x:auto}\n"
      "th,td{padding:.3em .7em;border-bottom:1px solid "
      "#ccc;text-align:right}\n"
      "th:first-child,td:first-child{text-align:left}\n"
      "dl.figures{display:grid;grid-template-columns:max-content auto;"
      "gap:.2em 1em}\n"
      "dl.figures dd{margin:0;font-weight:700}\n"
      ".widget{border:2px solid #1b2f4b;border-radius:8px;padding:1em;"
      "margin-bottom:1em}\n"
      ".project{border:1px solid #999;border-radius:6px;padding:.5em 1em;"
      "margin:.5em 0}\n"
      ".incomplete{font-style:italic}\n"
      "tr.incomplete{background:#fff4d6}\n"
      ".mark{color:#B34A00;text-decoration:none}\n" // 4.5:1 on the row
      ".error{color:#fff;background:#a61b1b;padding:.5em 1em;"
      "border-radius:4px}\n"
      ".ok{background:#dff3e4;padding:.5em 1em}\n"
      "table.grants td,table.grants th,table.access-log td,"
      "table.access-log th,table.cards td,table.cards th{text-align:left}\n"
      "form.grant label{display:inline-block;margin:.3em 1em .3em 0}\n"
      "button.danger{background:#a61b1b;color:#fff;border:0;"
      "padding:.4em 1em;border-radius:4px}\n"
      "#grant-token{font-size:1.1em;background:#f4f4f4;padding:.3em;"
      "word-break:break-all}\n"
      "svg.chart{width:100%;height:auto;display:block;font-size:13px}\n"
      "svg.chart.narrow{display:none}\n"
      "svg.chart .grid{stroke:#ddd}\n"
      "svg.chart .tick{stroke:#333}\n"
      "svg.split{width:100%;height:40px}\n"
      ".curve-panel{border-top:1px solid #999;padding:.5em 0}\n"
      ".curve-panel .boxes{display:flex;flex-wrap:wrap;gap:1em;"
      "margin-top:.5em}\n"
      ".box{font-size:.9em;background:#f4f4f4;padding:.5em;border-radius:6px;"
      "flex:1 1 18em;max-width:32em}\n"
      ".box dd{overflow-wrap:anywhere}\n"
      ".box h3{font-size:1em;margin:0 0 .3em}\n"
      ".box dl{display:grid;grid-template-columns:max-content auto;"
      "gap:0 .6em;margin:0}\n"
      ".box dd{margin:0}\n"
      ".key.c0{color:#0072B2}.key.c1{color:#C47A00}.key.c2{color:#009E73}"
      ".key.c3{color:#B85C90}.key.c4{color:#2F86C4}.key.c5{color:#D55E00}"
      ".key.c6{color:#000}.key.c7{color:#8C7D00}\n"
      ".timenav a{margin:0 .3em}\n"
      ".timenav a.current{font-weight:700;text-decoration:none}\n"
      ".live output{font-weight:700;font-size:1.3em}\n"
      ".live.big output{font-size:3em}\n"
      "label{display:inline-block;margin:.3em 1em .3em 0}\n"
      "form.project-form label,form.login label{display:block}\n"
      "label.pick{display:block}\n"
      "input,select,button{font-size:1em;max-width:100%}\n"
      // The curves' own controls: the saved comparisons, the range and
      // step, the normalised view, the CSV link and the table of values.
      ".presets,.range-form,.save-preset{margin:.5em 0}\n"
      ".presets ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;"
      "gap:.4em}\n"
      ".presets a{display:inline-block;padding:.3em .8em;border:1px solid "
      "#1b2f4b;border-radius:4px;text-decoration:none}\n"
      ".presets a.current{background:#1b2f4b;color:#fff}\n"
      ".csv{display:inline-block;margin:.3em 0}\n"
      "details.data-table{margin:.3em 0}\n"
      "details.data-table summary{cursor:pointer}\n"
      ".curve-panel.not-shared{color:#555;font-style:italic}\n"
      ".norm,.norm-missing{font-size:.85em;margin:.3em 0 0}\n"
      ".norm-missing{color:#7a4a00}\n"
      "fieldset{min-width:0}label{max-width:100%}\n";

// The narrow screens' rules, served after web_static_css (one string
// would pass the 4095 characters C99 promises a literal).
const char web_static_css_narrow[] =
    // Phones and small tablets: less margin, boxes one under another.
    "@media (max-width:45em){body{font-size:16px}"
    "main{padding:.5em .75em}nav{padding:.5em .75em;gap:.6em}"
    ".box{flex-basis:100%;max-width:none}"
    "form.grant label{display:block}select{width:100%}"
    // A table of records becomes one card per row, each cell under
    // its column's name (data-label).
    "table.cards thead{display:none}table.cards tr{display:block;"
    "border-bottom:1px solid #999;padding:.4em 0}"
    "table.cards td,table.cards th{display:block;border:0;"
    "padding:.1em 0;text-align:left}"
    "table.cards td[data-label]::before{content:attr(data-label);"
    "display:block;font-size:.85em;font-weight:600;color:#333}"
    "table.cards td:empty{display:none}table.cards tbody{display:block}"
    // Figures by period or by hour: two a line under the row's name.
    "table.cards.pairs tr{display:grid;grid-template-columns:1fr 1fr;"
    "gap:.1em 1em}table.cards.pairs th{grid-column:1/-1}"
    "table.cards caption{text-align:left}"
    // Each chart is drawn twice (web_svg_chart_write_both): 960 units
    // wide for a wide screen, 640 wide and taller for this one, whose
    // labels and lines are larger in its units to stay readable.
    "svg.chart{display:none}svg.chart.narrow{display:block;"
    "font-size:20px}svg.chart polyline{stroke-width:3}"
    "svg.chart .unit{font-size:17px}"
    "table{font-size:.85em}th,td{padding:.3em .25em}"
    "h1{font-size:1.4em}}\n"
    // A projector: the room reads from afar.
    "@media (min-width:100em){body{font-size:22px}}\n";

const char web_static_js[]
    = "'use strict';\n"
      "(function () {\n"
      // A table wider than the screen scrolls inside itself: it takes
      // the keyboard's focus then, so that it can be scrolled without a
      // mouse.
      "  function scrollers() {\n"
      "    document.querySelectorAll('table').forEach(function (t) {\n"
      "      if (t.scrollWidth > t.clientWidth) t.tabIndex = 0;\n"
      "      else t.removeAttribute('tabindex');\n"
      "    });\n"
      "  }\n"
      "  scrollers();\n"
      "  window.addEventListener('resize', scrollers);\n"
      "  var outs = document.querySelectorAll('[data-live-series]');\n"
      "  if (!outs.length) return;\n"
      "  var lang = document.documentElement.lang === 'en' ? 'en' : 'fr';\n"
      "  function poll() {\n"
      "    outs.forEach(function (o) {\n"
      "      var u = '/api/live?lang=' + lang + '&s=' +\n"
      "        encodeURIComponent(o.getAttribute('data-live-series'));\n"
      "      fetch(u, {credentials: 'same-origin'})\n"
      "        .then(function (r) { return r.ok ? r.json() : null; })\n"
      "        .then(function (j) {\n"
      "          if (j && j.text) { o.textContent = j.text;\n"
      "            o.setAttribute('data-power-w', j.power_w); }\n"
      "        })\n"
      "        .catch(function () {});\n"
      "    });\n"
      "  }\n"
      "  poll();\n"
      "  setInterval(poll, 5000);\n"
      "})();\n";
