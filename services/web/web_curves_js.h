// SPDX-License-Identifier: MIT
//
// web_curves_js.h: the load-curve page's script, served as
// /static/curves.js (web_page_curves.c): a tooltip with the time, value
// and unit under the pointer (or the arrow keys), and a crosshair at the
// same instant on every chart of the same time axis. It reads only the
// data- attributes the server drew (web_svg.h); every page works without
// it. Chunks of less than 4095 bytes, the longest string C11 promises.
#ifndef WEB_CURVES_JS_H
#define WEB_CURVES_JS_H

#define WEB_CURVES_JS_CHUNKS                                                  \
	"// Load curves: a tooltip (time, value, unit) and a crosshair at "   \
	"the same\n"                                                          \
	"// instant on every chart of the same time axis. Reads only what "   \
	"the\n"                                                               \
	"// server drew (the svg's data- attributes); without it the page "   \
	"and its\n"                                                           \
	"// tables say the same.\n"                                           \
	"(function () {\n"                                                    \
	"  var charts = document.querySelectorAll('svg.chart[data-x0]');\n"   \
	"  if (!charts.length) return;\n"                                     \
	"  var NS = 'http://www.w3.org/2000/svg';\n"                          \
	"  var lang = document.documentElement.lang === 'en' ? 'en-GB' : "    \
	"'fr-FR';\n"                                                          \
	"  function num(a) { return (a || '').split(',').map(Number); }\n"    \
	"  function el(name, attrs, parent) {\n"                              \
	"    var e = document.createElementNS(NS, name);\n"                   \
	"    for (var k in attrs) e.setAttribute(k, attrs[k]);\n"             \
	"    if (parent) parent.appendChild(e);\n"                            \
	"    return e;\n"                                                     \
	"  }\n"                                                               \
	"  function info(svg) {\n"                                            \
	"    if (svg._fed) return svg._fed;\n"                                \
	"    var d = svg.dataset, vb = svg.viewBox.baseVal;\n"                \
	"    var f = {from: +d.from, to: +d.to, x0: +d.x0, x1: +d.x1, y0: "   \
	"+d.y0,\n"                                                            \
	"      y1: +d.y1, div: +d.div || 1, unit: d.unit || '', tz: d.tz, "   \
	"w: vb.width,\n"                                                      \
	"      series: []};\n"                                                \
	"    svg.querySelectorAll('g.series[data-ts]').forEach(function (g) " \
	"{\n"                                                                 \
	"      f.series.push({label: g.dataset.label, ts: "                   \
	"num(g.dataset.ts),\n"                                                \
	"        vs: num(g.dataset.vs), cs: num(g.dataset.cs)});\n"           \
	"    });\n"                                                           \
	"    f.line = el('line', {'class': 'crosshair', y1: f.y0, y2: "       \
	"f.y1,\n"                                                             \
	"      stroke: '#222', 'stroke-width': '1', 'stroke-dasharray': '4 "  \
	"3',\n"                                                               \
	"      visibility: 'hidden'}, svg);\n"                                \
	"    f.tip = el('g', {'class': 'tip', visibility: 'hidden'}, svg);\n" \
	"    f.box = el('rect', {fill: '#fff', stroke: '#222', rx: '3'}, "    \
	"f.tip);\n"                                                           \
	"    f.text = el('text', {'font-size': '13'}, f.tip);\n"              \
	"    svg._fed = f;\n"                                                 \
	"    return f;\n"                                                     \
	"  }\n"                                                               \
	"  function when(t, tz) {\n"                                          \
	"    var o = {dateStyle: 'medium', timeStyle: 'short'};\n"            \
	"    if (tz) o.timeZone = tz;\n"                                      \
	"    try { return new Date(t).toLocaleString(lang, o); }\n"           \
	"    catch (e) { return new Date(t).toISOString(); }\n"               \
	"  }\n"                                                               \
	"  function show(svg, t) {\n"                                         \
	"    var f = info(svg);\n"                                            \
	"    if (t < f.from || t >= f.to) { hide(svg); return; }\n"           \
	"    var x = f.x0 + (f.x1 - f.x0) * (t - f.from) / (f.to - "          \
	"f.from);\n"                                                          \
	"    f.line.setAttribute('x1', x); f.line.setAttribute('x2', x);\n"   \
	"    f.line.setAttribute('visibility', 'visible');\n"                 \
	"    while (f.text.firstChild) "                                      \
	"f.text.removeChild(f.text.firstChild);\n"                            \
	"    var lines = [], start = null;\n"                                 \
	"    f.series.forEach(function (s) {\n"                               \
	"      var i = -1;\n"                                                 \
	"      for (var k = 0; k < s.ts.length && s.ts[k] <= t; k++) i = "    \
	"k;\n"                                                                \
	"      if (i < 0) return;\n"                                          \
	"      if (start === null) start = s.ts[i];\n"                        \
	"      var v = (s.vs[i] / f.div).toLocaleString(lang,\n"              \
	"        {maximumFractionDigits: 2});\n"                              \
	"      var c = s.cs[i] < 0.999 ? ' (' + Math.round(s.cs[i] * 100) + " \
	"' %)' : '';\n"                                                       \
	"      lines.push((f.series.length > 1 ? s.label + ' : ' : '') + v "  \
	"+ ' ' +\n"                                                           \
	"        f.unit + c);\n"                                              \
	"    });\n"                                                           \
	"    if (start === null) { f.tip.setAttribute('visibility', "         \
	"'hidden'); return; }\n"                                              \
	"    lines.unshift(when(start, f.tz));\n"                             \
	"    lines.forEach(function (l, k) {\n"                               \
	"      var sp = el('tspan', {x: 0, dy: k ? '1.2em' : '1em'}, "        \
	"f.text);\n"                                                          \
	"      sp.textContent = l;\n"                                         \
	"    });\n"                                                           \
	"    var bb = f.text.getBBox(), w = bb.width + 12, h = bb.height + "  \
	"8;\n"                                                                \
	"    var tx = x + 10 + w > f.x1 ? x - 10 - w : x + 10;\n"             \
	"    f.text.setAttribute('transform', 'translate(' + (tx + 6) + ',' " \
	"+\n"                                                                 \
	"      (f.y0 + 2) + ')');\n"                                          \
	"    f.box.setAttribute('x', tx); f.box.setAttribute('y', f.y0);\n"   \
	"    f.box.setAttribute('width', w); f.box.setAttribute('height', "   \
	"h);\n"                                                               \
	"    f.tip.setAttribute('visibility', 'visible');\n"                  \
	"  }\n"                                                               \
	"  function hide(svg) {\n"                                            \
	"    var f = info(svg);\n"                                            \
	"    f.line.setAttribute('visibility', 'hidden');\n"                  \
	"    f.tip.setAttribute('visibility', 'hidden');\n"                   \
	"  }\n",                                                              \
	    "  function peers(svg) {\n"                                       \
	    "    return Array.prototype.filter.call(charts, function (o) {\n" \
	    "      return o.dataset.from === svg.dataset.from &&\n"           \
	    "        o.dataset.to === svg.dataset.to;\n"                      \
	    "    });\n"                                                       \
	    "  }\n"                                                           \
	    "  charts.forEach(function (svg) {\n"                             \
	    "    svg.setAttribute('tabindex', '0');\n"                        \
	    "    function at(ev) {\n"                                         \
	    "      var f = info(svg), r = svg.getBoundingClientRect();\n"     \
	    "      var x = (ev.clientX - r.left) * f.w / r.width;\n"          \
	    "      return f.from + (x - f.x0) / (f.x1 - f.x0) * (f.to - "     \
	    "f.from);\n"                                                      \
	    "    }\n"                                                         \
	    "    svg.addEventListener('pointermove', function (ev) {\n"       \
	    "      var t = at(ev);\n"                                         \
	    "      svg._t = t;\n"                                             \
	    "      peers(svg).forEach(function (o) { show(o, t); });\n"       \
	    "    });\n"                                                       \
	    "    svg.addEventListener('pointerleave', function () {\n"        \
	    "      peers(svg).forEach(hide);\n"                               \
	    "    });\n"                                                       \
	    "    // The keyboard moves the crosshair by one bucket.\n"        \
	    "    svg.addEventListener('keydown', function (ev) {\n"           \
	    "      var f = info(svg), b = +svg.dataset.bucket || 3600000;\n"  \
	    "      if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') "   \
	    "return;\n"                                                       \
	    "      var t = svg._t === undefined ? f.from : svg._t +\n"        \
	    "        (ev.key === 'ArrowLeft' ? -b : b);\n"                    \
	    "      t = Math.max(f.from, Math.min(f.to - 1, t));\n"            \
	    "      svg._t = t;\n"                                             \
	    "      peers(svg).forEach(function (o) { show(o, t); });\n"       \
	    "      ev.preventDefault();\n"                                    \
	    "    });\n"                                                       \
	    "    svg.addEventListener('blur', function () {\n"                \
	    "      peers(svg).forEach(hide);\n"                               \
	    "    });\n"                                                       \
	    "  });\n"                                                         \
	    "})();\n"

#endif // WEB_CURVES_JS_H
