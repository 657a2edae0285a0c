// Wallboard: the 150-second target (来电至派单) — today's share of tickets dispatched within 150 s of the
// call's start, per line and per agent, from GET /api/dispatch/stats (refreshed every 15 s).
"use strict";
(() => {
  const panel = document.createElement("section");
  panel.className = "dispatch-panel";
  panel.id = "dispatch-panel";
  panel.innerHTML = '<h2>派单时效 · 今日 150 秒内派单率</h2><div class="dispatch-tables">' +
    '<table id="dispatch-lines"><thead><tr><th>专线</th><th>已派单</th><th>150 秒内</th><th>达标率</th><th>平均用时</th></tr></thead><tbody></tbody></table>' +
    '<table id="dispatch-agents"><thead><tr><th>坐席</th><th>已派单</th><th>150 秒内</th><th>达标率</th><th>平均用时</th></tr></thead><tbody></tbody></table></div>';
  document.querySelector(".history-panel").before(panel);

  let labels = null;   // line -> label (企业服务 …), read once from /api/queues
  const lineLabel = (line) => (labels && labels[line]) || line;
  const get = async (path) => {
    const response = await fetch(path, { headers: { Authorization: "Bearer " + token } });
    return response.ok ? response.json() : null;
  };
  const share = (row) => (row.share == null ? "—" : (row.share * 100).toFixed(0) + "%");

  function fill(id, rows, key, label) {
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren();
    if (!rows.length) { const cell = body.insertRow().insertCell(); cell.colSpan = 5; cell.textContent = "今日暂无派单"; return; }
    for (const row of rows) {
      const tr = body.insertRow();
      tr.dataset[key] = row[key];
      tr.className = row.share != null && row.share < 0.8 ? "below" : "";
      for (const text of [label(row[key]), row.dispatched, row.within_target, share(row), row.mean_seconds + " 秒"]) tr.insertCell().textContent = text;
    }
  }

  async function refresh() {
    if (!labels) {
      const queues = await get("/api/queues?history_minutes=0");
      if (queues) labels = Object.fromEntries(queues.queues.map((q) => [q.queue, q.label]));
    }
    const data = await get("/api/dispatch/stats");
    if (!data) return;
    fill("dispatch-lines", data.lines, "line", lineLabel);
    fill("dispatch-agents", data.agents, "agent", (a) => a);
  }
  refresh();
  setInterval(refresh, 15000);
})();
