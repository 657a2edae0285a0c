// Hotspot reports (热点分析): GET /api/reports/hotspots for the chosen period and date, drawn as cards, inline
// SVG charts and tables; CSV download; print / PDF through the browser's print (reports.css has the print rules).
"use strict";
const token = localStorage.getItem("hotline_token");
const here = "/reports" + location.search;
if (!token) location.href = "/login?next=" + encodeURIComponent(here);

const PERIOD_NAMES = { day: "日报", week: "周报", month: "月报" };
const $ = (id) => document.getElementById(id);
const pct = (v) => (v === null || v === undefined ? "—" : (v > 0 ? "+" : "") + v.toFixed(1) + "%");
const num = (v) => (v === null || v === undefined ? "—" : String(v));
const pval = (p) => (p === null || p === undefined ? "—" : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
const when = (t) => new Date(t * 1000).toLocaleString("zh-CN", { hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });

function query(format) {
  const params = new URLSearchParams({ period: $("period").value, date: $("date").value });
  if (format) params.set("format", format);
  return "/api/reports/hotspots?" + params;
}

async function fetchReport(format) {
  const response = await fetch(query(format), { headers: { Authorization: "Bearer " + token } });
  if (response.status === 401) { localStorage.removeItem("hotline_token"); location.href = "/login?next=" + encodeURIComponent(here); return null; }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    $("error").textContent = response.status === 403 ? "只有班长和管理员可以查看热点分析" : "报表生成失败：" + (body.detail || response.status);
    return null;
  }
  $("error").textContent = "";
  return response;
}

function fill(tableId, rows, cells) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    if (r.spike) tr.className = "spike";
    cells(r).forEach((value) => { const td = document.createElement("td"); td.textContent = value; tr.append(td); });
    return tr;
  }));
  if (!rows.length) {
    const tr = document.createElement("tr"), td = document.createElement("td");
    td.colSpan = $(tableId).querySelectorAll("th").length; td.textContent = "无"; td.className = "empty";
    tr.append(td); body.append(tr);
  }
}

const compare = (r) => [r.name, num(r.count), num(r.previous), pct(r.change_pct), num(r.baseline)];

function render(report) {
  const name = PERIOD_NAMES[report.period];
  $("title").textContent = `12345 政务服务便民热线 · 热点分析${name}`;
  document.title = `热点分析${name} ${report.start}`;
  $("range").textContent = `${report.start}${report.end !== report.start ? " 至 " + report.end : ""}` +
    (report.complete ? "" : "（本期未结束，基线按已过时段折算）") + ` · 基线期数 ${report.baseline_periods}`;
  $("total").textContent = report.total.count;
  $("change").textContent = pct(report.total.change_pct);
  $("baseline").textContent = num(report.total.baseline);
  $("alerts").textContent = `${report.clusters.length} / ${report.spikes.length}`;
  fill("clusters", report.clusters, (c) => [c.category, c.place, [c.district, c.street].filter(Boolean).join(" ") || "—",
    c.callers, `${when(c.first)} – ${when(c.last)}`, c.expected, pval(c.p)]);
  fill("spikes", report.spikes, (s) => [s.name, s.count, num(s.baseline), num(s.z), pval(s.p)]);
  $("series-title").textContent = report.period === "day" ? "来电走势（按小时）" : "来电走势（按日）";
  $("series").replaceChildren(Charts.columns(report.series));
  $("categories").replaceChildren(Charts.bars(report.dimensions.category));
  fill("districts", report.dimensions.district, compare);
  fill("lines", report.dimensions.line, (r) => compare({ ...r, name: r.label || r.name }));
  fill("places", report.top_places, (r) => [r.name, r.district || "—", r.street || "—", num(r.count), num(r.previous), pct(r.change_pct), num(r.baseline)]);
  $("report").hidden = false;
}

async function load() {
  history.replaceState(null, "", `/reports?period=${$("period").value}&date=${$("date").value}`);
  const response = await fetchReport();
  if (response) render(await response.json());
}

async function downloadCsv() {
  const response = await fetchReport("csv");
  if (!response) return;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `hotspots-${$("period").value}-${$("date").value}.csv`;
  document.body.append(link); link.click(); link.remove();
}

const params = new URLSearchParams(location.search);
$("period").value = PERIOD_NAMES[params.get("period")] ? params.get("period") : "day";
$("date").value = /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : new Date().toISOString().slice(0, 10);
$("controls").addEventListener("submit", (e) => { e.preventDefault(); load(); });
$("csv").addEventListener("click", downloadCsv);
$("print").addEventListener("click", () => window.print());
load();
