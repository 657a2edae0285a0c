// Agent console: 派单. The draft ticket's suggested 承办单位 (and the rule that chose it); the agent keeps or
// changes the unit, adds a note and dispatches (POST /api/tickets/{id}/dispatch). Hooked from console.js's
// fillTicket (ConsoleDispatch.show); uses its api(), formValues(), current, dirty and fillTicket.
"use strict";
window.ConsoleDispatch = (() => {
  const KIND = { department: "市直部门", utility: "公用事业单位", district: "区政府", street: "街道办事处", property: "二级处办平台（物业）" };
  let units = [];            // [{id, name, kind}] from GET /api/dispatch/units
  let shownTicket = null;    // the ticket id the unit choice belongs to (a new ticket resets the choice)
  const el = (tag, props, ...children) => { const n = Object.assign(document.createElement(tag), props || {}); n.append(...children); return n; };

  const panel = el("div", { id: "dispatch-panel", className: "dispatch", hidden: true });
  const suggestion = el("p", { id: "dispatch-suggestion", className: "suggestion" });
  const unitSelect = el("select", { id: "dispatch-unit", accessKey: "d", title: "承办单位 (Alt+D)" });
  const note = el("input", { id: "dispatch-note", maxLength: 2000, placeholder: "派单说明（可选）" });
  const button = el("button", { id: "dispatch-ticket", type: "button", title: "保存并派单" }, "派单");
  const result = el("p", { id: "dispatch-message", className: "message", role: "status" });
  panel.append(el("h3", {}, "派单（承办单位）"), suggestion,
    el("div", { className: "dispatch-row" }, el("label", { htmlFor: "dispatch-unit" }, "承办单位"), unitSelect),
    el("div", { className: "dispatch-row" }, el("label", { htmlFor: "dispatch-note" }, "派单说明"), note),
    el("div", { className: "buttons" }, button), result);
  document.getElementById("ticket-form").after(panel);

  async function loadUnits() {
    try {
      units = (await api("GET", "/api/dispatch/units")).units;
      const groups = {};
      for (const u of units) (groups[u.kind] = groups[u.kind] || el("optgroup", { label: KIND[u.kind] || u.kind })).append(new Option(u.name, u.id));
      unitSelect.replaceChildren(...Object.values(groups));
    } catch (err) { result.className = "message fail"; result.textContent = "承办单位读取失败：" + err.message; }
  }

  function show(ticket) {
    panel.hidden = !ticket || !ticket.id;
    if (panel.hidden) return;
    const dispatched = ticket.status === "dispatched";
    const fresh = ticket.id !== shownTicket;
    shownTicket = ticket.id;
    suggestion.textContent = ticket.suggested_unit
      ? "建议承办单位：" + ticket.suggested_unit_name + "（规则 " + ticket.suggested_rule + "）" : "建议承办单位：待识别";
    if ((fresh || !unitSelect.classList.contains("dirty")) && ticket.suggested_unit) unitSelect.value = ticket.suggested_unit;
    if (fresh) { unitSelect.classList.remove("dirty"); note.value = ""; result.textContent = ""; }
    if (dispatched) {
      unitSelect.value = ticket.dispatched_unit;
      result.className = "message ok";
      result.textContent = "已派单至 " + ticket.dispatched_unit_name + "，来电至派单用时 " + Math.round(ticket.dispatch_seconds) + " 秒" +
        (ticket.dispatch_seconds > 150 ? "（超过 150 秒目标）" : "（150 秒内）");
    }
    for (const c of [unitSelect, note, button]) c.disabled = dispatched;
    for (const id of ["save-ticket", "submit-ticket"]) document.getElementById(id).disabled = dispatched;  // 409 now
  }

  async function dispatch() {
    const ticket = current && current.ticket;
    if (!ticket || !ticket.id) return;
    result.className = "message"; result.textContent = "派单中…";
    const path = "/api/tickets/" + encodeURIComponent(ticket.id);
    try {
      await api("PATCH", path, formValues());   // the form as the agent left it, then the dispatch
      dirty.clear();
      const done = await api("POST", path + "/dispatch", { unit: unitSelect.value, note: note.value.trim() });
      current.ticket = done;
      fillTicket(done, true);
    } catch (err) { result.className = "message fail"; result.textContent = "派单失败：" + err.message; }
  }

  unitSelect.addEventListener("change", () => unitSelect.classList.add("dirty"));
  button.addEventListener("click", dispatch);
  loadUnits();
  return { show };
})();
