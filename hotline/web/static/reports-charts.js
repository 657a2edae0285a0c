// Inline SVG charts for the reports page (no library, no CDN): vertical bars for a series, horizontal bars
// with a baseline tick for a breakdown.
"use strict";
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  function node(name, attrs, text) {
    const el = document.createElementNS(NS, name);
    Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function svg(width, height) {
    return node("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "svg-chart" });
  }

  function columns(points) {   // [{label, count}]
    const w = 1000, h = 220, left = 40, bottom = 24, top = 10;
    const max = Math.max(1, ...points.map((p) => p.count));
    const step = (w - left) / Math.max(1, points.length);
    const chart = svg(w, h);
    [0, 0.5, 1].forEach((f) => {
      const y = top + (h - top - bottom) * (1 - f);
      chart.append(node("line", { x1: left, x2: w, y1: y, y2: y, class: "grid" }));
      chart.append(node("text", { x: left - 4, y: y + 4, class: "axis", "text-anchor": "end" }, String(Math.round(max * f))));
    });
    const every = Math.ceil(points.length / 16);
    points.forEach((p, i) => {
      const bh = (h - top - bottom) * p.count / max;
      const x = left + i * step + step * 0.15;
      const bar = node("rect", { x, y: h - bottom - bh, width: step * 0.7, height: bh, class: "bar" });
      bar.append(node("title", {}, `${p.label}: ${p.count}`));
      chart.append(bar);
      if (i % every === 0) chart.append(node("text", { x: x + step * 0.35, y: h - 6, class: "axis", "text-anchor": "middle" }, p.label));
    });
    return chart;
  }

  function bars(rows) {   // [{name, count, baseline, spike}]
    const w = 1000, row = 22, left = 150, right = 60;
    const h = rows.length * row + 8;
    const max = Math.max(1, ...rows.map((r) => Math.max(r.count, r.baseline || 0)));
    const scale = (v) => (w - left - right) * v / max;
    const chart = svg(w, h);
    rows.forEach((r, i) => {
      const y = 4 + i * row;
      chart.append(node("text", { x: left - 8, y: y + 15, class: "label", "text-anchor": "end" }, r.name));
      chart.append(node("rect", { x: left, y: y + 3, width: Math.max(1, scale(r.count)), height: row - 8, class: r.spike ? "bar spike" : "bar" }));
      if (r.baseline !== null && r.baseline !== undefined) {
        const bx = left + scale(r.baseline);
        chart.append(node("line", { x1: bx, x2: bx, y1: y, y2: y + row - 2, class: "baseline" }));
      }
      chart.append(node("text", { x: left + scale(r.count) + 6, y: y + 15, class: "value" }, String(r.count)));
    });
    return chart;
  }
  return { columns, bars };
})();
