// Supervisor wallboard: /api/queues on load (numbers + hour of history), then live over /ws/supervisor.
"use strict";
const token = localStorage.getItem("hotline_token");
if (!token) location.href = "/login?next=/wallboard";

const cards = new Map();   // queue -> {el, history}
const fmtPct = (v) => (v === null || v === undefined ? "—" : v.toFixed(0) + "%");
const fmtWait = (s) => (s >= 60 ? Math.floor(s / 60) + "分" + String(Math.floor(s % 60)).padStart(2, "0") + "秒" : Math.floor(s) + "秒");
const timeText = (t) => new Date(t * 1000).toLocaleTimeString("zh-CN", { hour12: false });

function toLogin() { localStorage.removeItem("hotline_token"); location.href = "/login?next=/wallboard"; }

async function loadQueues() {
  const response = await fetch("/api/queues?history_minutes=60", { headers: { Authorization: "Bearer " + token } });
  if (response.status === 401 || response.status === 403) return toLogin();
  if (!response.ok) return;
  const data = await response.json();
  data.queues.forEach((q) => { const c = card(q); c.history = q.history || []; c.live = []; render(q); });
}

async function loadAlertLog() {
  const response = await fetch("/api/alerts?limit=30", { headers: { Authorization: "Bearer " + token } });
  if (!response.ok) return;
  const data = await response.json();
  const log = document.getElementById("alert-log");
  log.replaceChildren();
  data.history.forEach((a) => log.append(logItem(a)));
}

function card(q) {
  if (!cards.has(q.queue)) {
    const el = document.getElementById("queue-card").content.firstElementChild.cloneNode(true);
    el.dataset.queue = q.queue;
    document.getElementById("queues").append(el);
    cards.set(q.queue, { el, history: [], live: [] });
  }
  return cards.get(q.queue);
}

function setText(el, key, text) { el.querySelectorAll(`[data-k="${key}"]`).forEach((n) => { n.textContent = text; }); }

function render(q) {
  const { el, history } = card(q);
  el.querySelector(".label").textContent = q.label;
  setText(el, "callers_waiting", q.callers_waiting);
  setText(el, "longest_wait", fmtWait(q.longest_wait_s));
  setText(el, "service_level", fmtPct(q.service_level));
  setText(el, "answer_rate", fmtPct(q.answer_rate));
  for (const k of ["agents_logged_in", "agents_available", "agents_busy", "agents_paused", "offered", "answered", "abandoned"]) setText(el, k, q[k]);
  setText(el, "rate", q.arrival_rate_per_min["5m"].toFixed(1));
  const advice = el.querySelector('[data-k="advice"]');
  const s = q.staffing;
  advice.textContent = `${s.message}（Erlang C：需在线 ${s.agents_needed} 人，排班 ${s.agents_scheduled} 人；话务量 ${s.traffic_erlangs} Erl，平均处理 ${Math.round(s.aht_s)} 秒）`;
  advice.classList.toggle("need", s.add_agents > 0 && s.basis !== "default");
  const worst = q.alerts.length ? q.alerts[0].severity : null;
  el.classList.toggle("warning", worst === "warning");
  el.classList.toggle("critical", worst === "critical");
  const list = el.querySelector(".alerts");
  list.replaceChildren(...q.alerts.map((a) => { const li = document.createElement("li"); li.className = a.severity; li.textContent = `${timeText(a.at)} ${a.message}`; return li; }));
  const live = card(q).live;   // points from the live feed since the last history load, every 10 s
  const point = { t: Date.now() / 1000, callers_waiting: q.callers_waiting, service_level: q.service_level };
  if (!live.length || point.t - live[live.length - 1].t >= 10) live.push(point);
  drawChart(el.querySelector(".chart"), history.concat(live, [point]));
}

function drawChart(svg, points) {
  const now = Date.now() / 1000, from = now - 3600, W = 300, H = 90;
  const maxWait = Math.max(5, ...points.map((p) => p.callers_waiting));
  const x = (t) => ((t - from) / 3600) * W;
  const line = (key, scale) => points.filter((p) => p.t >= from && p[key] !== null && p[key] !== undefined)
    .map((p) => `${x(p.t).toFixed(1)},${(H - 4 - (p[key] / scale) * (H - 8)).toFixed(1)}`).join(" ");
  const dots = line("callers_waiting", maxWait).split(" ").filter(Boolean)
    .map((xy) => `<circle cx="${xy.split(",")[0]}" cy="${xy.split(",")[1]}" r="1.6" fill="#58a6ff"/>`).join("");
  svg.innerHTML = `<polyline class="w" points="${line("callers_waiting", maxWait)}"/>` + dots +
    `<polyline class="s" points="${line("service_level", 100)}"/>` +
    `<text x="3" y="11" font-size="9" fill="#8da2b8">${maxWait}人</text>`;
}

function logItem(a) {
  const li = document.createElement("li");
  li.className = a.severity || "cleared";
  li.textContent = `${timeText(a.at)} ${a.message}`;
  return li;
}

function showBanner(a) {
  const banner = document.getElementById("banner");
  banner.hidden = false;
  banner.className = "banner " + (a.severity || "clear");
  banner.textContent = a.message;
  document.getElementById("alert-log").prepend(logItem(a));
}

function connect() {
  const link = document.getElementById("link");
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/supervisor?token=${encodeURIComponent(token)}`);
  ws.onopen = () => { link.textContent = "实时"; link.className = "link up"; };
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === "queues" || msg.type === "hello") msg.queues.forEach(render);
    if (msg.type === "alert") showBanner(msg.alert);
  };
  ws.onclose = (event) => {
    link.textContent = "连接断开，重连中…"; link.className = "link down";
    if (event.code === 4401 || event.code === 4403) return toLogin();
    setTimeout(() => { loadQueues(); connect(); }, 2000);
  };
}

setInterval(() => { document.getElementById("clock").textContent = new Date().toLocaleString("zh-CN", { hour12: false }); }, 1000);
setInterval(loadQueues, 60000);   // refresh the per-minute history
loadQueues().then(loadAlertLog).then(connect);
