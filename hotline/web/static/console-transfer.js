// Agent console: 一键转接 to the partner lines (水电气热, config/partners.yaml). Loaded after console.js (reads
// its `current`, `api`, `$`); builds its own panel after the call banner. Blind: the caller goes to the partner
// (unanswered: back to the hotline). Attended: the agent talks to the partner first, then completes or cancels.
"use strict";
(function () {
  const MODE_TEXT = { blind: "直接转接", attended: "咨询转接" };
  const RESULT_TEXT = { answered: "已接通", no_answer: "对方未接听", returned: "已转回热线", cancelled: "已取消", pending: "转接中" };
  let shownCall = null, consulting = null;   // consulting: {call_id, partner, label}

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function buildPanel() {
    const panel = el("section", { id: "transfer-panel", class: "panel transfer", "aria-labelledby": "transfer-title" });
    panel.append(el("h2", { id: "transfer-title" }, "一键转接（水电气热）"),
      el("p", { id: "transfer-hint", class: "hint" }, "通话中可转接"),
      el("ul", { id: "transfer-partners", class: "transfer-partners" }));
    const consult = el("div", { id: "transfer-consult", class: "buttons", hidden: "" });
    consult.append(el("span", { id: "transfer-consult-text" }), el("button", { id: "transfer-complete", type: "button" }, "完成转接"),
      el("button", { id: "transfer-cancel", type: "button", class: "secondary" }, "取消转接"));
    panel.append(consult, el("p", { id: "transfer-message", class: "message", role: "status" }),
      el("ul", { id: "transfer-history", class: "transfer-history" }));
    $("call-banner").after(panel);
    $("transfer-complete").addEventListener("click", () => finish("complete"));
    $("transfer-cancel").addEventListener("click", () => finish("cancel"));
  }

  function say(text, ok) { const m = $("transfer-message"); m.textContent = text; m.className = "message " + (ok ? "ok" : "fail"); }

  async function loadPartners(callId) {
    const list = $("transfer-partners");
    list.replaceChildren();
    let partners = [];
    try { partners = await api("GET", "/api/partners?call_id=" + encodeURIComponent(callId)); }
    catch (err) { say("合作单位读取失败：" + err.message, false); return; }
    for (const p of partners) {
      const item = el("li", { "data-partner": p.name, class: p.matches ? "match" : "" });
      item.append(el("strong", {}, p.label), el("span", {}, " " + (p.company || "")));
      if (p.matches) item.append(el("span", { class: "badge" }, "匹配工单分类"));
      if (!p.open) item.append(el("span", { class: "badge" }, "非服务时间"));
      for (const mode of ["blind", "attended"]) {
        const button = el("button", { type: "button", "data-mode": mode }, MODE_TEXT[mode]);
        button.disabled = !p.open;
        button.addEventListener("click", () => start(p, mode));
        item.append(button);
      }
      list.append(item);
    }
  }

  function renderHistory() {
    const list = $("transfer-history");
    list.replaceChildren();
    for (const t of (current && current.ticket && current.ticket.transfers) || [])
      list.append(el("li", {}, `${t.label || t.partner} · ${t.mode === "attended" ? "咨询转接" : t.mode === "blind" ? "直接转接" : "菜单转接"} · ${RESULT_TEXT[t.result] || t.result}`));
  }

  async function start(partner, mode) {
    const callId = current && current.call && current.call.call_id;
    if (!callId) return;
    try {
      await api("POST", `/api/calls/${encodeURIComponent(callId)}/transfer`, { partner: partner.name, mode });
      if (mode === "attended") {
        consulting = { call_id: callId, partner: partner.name, label: partner.label };
        say(`正在与${partner.label}通话（来电人等待中）`, true);
      } else say(`已转接至${partner.label}`, true);
    } catch (err) { say("转接失败：" + err.message, false); }
    render();
  }

  async function finish(what) {
    if (!consulting) return;
    try {
      const done = await api("POST", `/api/calls/${encodeURIComponent(consulting.call_id)}/transfer/${what}`);
      say(what === "complete" ? `转接${consulting.label}：${RESULT_TEXT[done.result] || done.result}` : "已取消转接，回到来电人", true);
      consulting = null;
    } catch (err) { say("操作失败：" + err.message, false); }
    render();
  }

  function render() {
    const callId = current && current.call && current.call.call_id;
    const live = !!(current && current.status === "connected");
    if (callId !== shownCall) { shownCall = callId; if (callId) loadPartners(callId); else $("transfer-partners").replaceChildren(); }
    for (const b of document.querySelectorAll("#transfer-partners button")) b.hidden = !live || !!consulting;
    $("transfer-hint").textContent = live ? (consulting ? "咨询中：完成或取消后可再转接" : "选择合作单位与转接方式") : "通话中可转接";
    $("transfer-consult").hidden = !consulting;
    $("transfer-consult-text").textContent = consulting ? `咨询中：${consulting.label}` : "";
    renderHistory();
  }

  buildPanel();
  setInterval(render, 500);   // follows console.js's `current` (pop, update, ended) without hooks in it
}());
