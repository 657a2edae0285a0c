// Admin tab "rules": overflow alert thresholds and staffing targets, default and per line. Checked as the admin
// types (POST /api/rules/validate, the overflow.yaml schema), saved with PUT /api/rules: the running controller
// uses them at once.
"use strict";
Admin.tab("rules", (() => {
  const { el, api, flash, errorText, canEdit, fmtTime } = Admin;
  const PERCENT = ["target_service_level", "max_occupancy", "shrinkage"];   // fractions in the file, % on the page
  const STAFFING = { target_service_level: "服务水平目标（%）", target_answer_s: "目标接听时间（秒）",
    max_occupancy: "最高占用率（%）", shrinkage: "缺勤/培训损耗（%）", default_aht_s: "平均处理时长（秒）",
    default_calls_per_hour: "预计每小时来电" };
  const STAFFING_DEFAULTS = { target_service_level: 0.8, target_answer_s: 20, max_occupancy: 0.85, shrinkage: 0.3,
    default_aht_s: 240, default_calls_per_hour: 30 };
  let section, data, doc, timer;

  const num = (text) => (text.trim() !== "" && !isNaN(Number(text)) ? Number(text) : text);
  function box(path, value, set, attrs = {}) {
    const input = el("input", { "data-path": path, value: value ?? "", disabled: !canEdit(), type: "number", step: "any", ...attrs });
    input.addEventListener("input", () => { set(input.value.trim() === "" ? undefined : num(input.value)); changed(); });
    return input;
  }

  function staffingEditor(path, staffing) {
    return el("div", { class: "menu-row" }, Object.entries(STAFFING).map(([k, label]) => {
      const pct = PERCENT.includes(k);
      const shown = staffing[k] === undefined ? "" : pct ? Math.round(staffing[k] * 1000) / 10 : staffing[k];
      return el("label", { class: "menu-field" }, label, " ",
        box(`${path}.${k}`, shown, (v) => { staffing[k] = typeof v === "number" && pct ? v / 100 : v; }));
    }));
  }

  function rulesTable(path, rules) {
    const level = (rule, i, sev) => ["raise", "clear"].map((edge) => el("td", {}, box(`${path}.${i}.${sev}.${edge}`,
      rule[sev] ? rule[sev][edge] : "", (v) => {
        rule[sev] = rule[sev] || {};
        rule[sev][edge] = v;
        if (rule[sev].raise === undefined && rule[sev].clear === undefined) delete rule[sev];
      })));
    return el("table", { class: "grid rules", "data-path": path },
      el("thead", {}, el("tr", {}, ["规则", "指标", "预警 触发", "预警 恢复", "严重 触发", "严重 恢复", "持续多久才告警（秒）"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rules.map((rule, i) => el("tr", { "data-path": `${path}.${i}` },
        el("td", {}, rule.id), el("td", {}, data.metrics[rule.metric] || rule.metric),
        level(rule, i, "warning"), level(rule, i, "critical"),
        el("td", {}, box(`${path}.${i}.raise_after_s`, rule.raise_after_s, (v) => { rule.raise_after_s = v; }))))));
  }

  function lineEditor(name, label) {
    const q = doc.queues[name] = doc.queues[name] || {};
    const own = el("input", { type: "checkbox", checked: !!q.rules, disabled: !canEdit() });
    own.addEventListener("change", () => { if (own.checked) q.rules = structuredClone(doc.default_rules); else delete q.rules; render(); changed(); });
    const ownStaff = el("input", { type: "checkbox", checked: !!q.staffing, disabled: !canEdit() });
    ownStaff.addEventListener("change", () => { if (ownStaff.checked) q.staffing = { ...STAFFING_DEFAULTS, ...doc.staffing }; else delete q.staffing; render(); changed(); });
    const o = q.overflow || {};
    return el("section", { class: "rules-line", "data-line": name, "data-path": `queues.${name}` },
      el("h3", {}, `${label}（${name}）`),
      el("label", { class: "menu-field" }, own, " 单独设置告警阈值（不勾选则用默认规则）"),
      q.rules ? rulesTable(`queues.${name}.rules`, q.rules) : null,
      el("div", {}, el("label", { class: "menu-field" }, ownStaff, " 单独设置人员配置目标")),
      q.staffing ? staffingEditor(`queues.${name}.staffing`, q.staffing) : null,
      el("p", { class: "muted" }, o.enabled ? `溢出：${o.min_severity === "warning" ? "预警" : "严重"}告警时` +
        (o.action === "route" ? `转到 ${data.lines[o.queue] || o.queue}` : `播放 ${o.prompt}`) : "溢出：未启用"));
  }

  function render() {
    section.querySelector("#rules-body").replaceChildren(
      el("h3", {}, "全局人员配置目标（Erlang C 建议用）"), staffingEditor("staffing", doc.staffing),
      el("h3", {}, "默认告警规则（各线路未单独设置时使用）"), rulesTable("default_rules", doc.default_rules),
      ...Object.entries(data.lines).map(([name, label]) => lineEditor(name, label)));
  }

  function changed() { clearTimeout(timer); timer = setTimeout(check, 300); }
  async function check() {
    try { show((await api("POST", "/api/rules/validate", doc)).errors); } catch (err) { flash("检查失败：" + errorText(err), "error"); }
  }
  function show(errors) {
    section.querySelectorAll("#rules-body .field-error").forEach((n) => n.remove());
    section.querySelectorAll("#rules-body .invalid").forEach((n) => n.classList.remove("invalid"));
    for (const e of errors) {
      let parts = e.loc.map(String), found = [];
      while (parts.length && !(found = section.querySelectorAll(`#rules-body [data-path="${CSS.escape(parts.join("."))}"]`)).length) parts = parts.slice(0, -1);
      const note = el("span", { class: "field-error" }, e.message);
      if (!found.length) section.querySelector("#rules-body").prepend(note);
      else if (found[0].tagName === "INPUT") { found[0].classList.add("invalid"); found[0].after(note); }
      else if (found[0].tagName === "TR") { found[0].classList.add("invalid"); found[0].firstElementChild.append(note); }
      else found[0].prepend(note);
    }
    section.querySelector("#rules-save").disabled = errors.length > 0 || !canEdit();
    section.querySelector("#rules-check").textContent = errors.length ? `有 ${errors.length} 处错误` : "✔ 没有错误";
    section.querySelector("#rules-check").className = errors.length ? "error-text" : "ok-text";
  }

  async function save() {
    const note = section.querySelector("#rules-note").value.trim();
    try {
      const { version } = await api("PUT", "/api/rules?note=" + encodeURIComponent(note), doc);
      flash(`已保存告警规则版本 ${version}，立即生效`);
      section.querySelector("#rules-note").value = "";
      await reload();
    } catch (err) { flash("保存失败：" + errorText(err), "error"); }
  }

  async function reload() {
    data = await api("GET", "/api/rules");
    doc = structuredClone(data.rules);
    doc.queues = doc.queues || {};
    doc.default_rules = doc.default_rules || [];
    doc.staffing = doc.staffing || { ...STAFFING_DEFAULTS };
    const s = data.stored;
    section.querySelector("#rules-version").textContent = s ? `当前生效：版本 ${s.version}（${s.author}，${fmtTime(s.at)}${s.note ? "，" + s.note : ""}）` : "当前生效：配置文件 overflow.yaml";
    render();
    await check();
  }

  return {
    async load(s) {
      section = s;
      section.replaceChildren(
        el("div", { class: "menu-head" }, el("h2", {}, "告警规则与人员配置目标"), el("span", { id: "rules-version", class: "muted" })),
        el("p", { class: "muted" }, "指标达到“触发”值时告警，回到“恢复”值才解除（恢复值须在触发值的好的一侧，避免反复告警）。保存后运行中的系统立即使用。"),
        el("div", { class: "toolbar" }, el("span", { id: "rules-check" }),
          el("span", { class: "admin-only publish" }, el("input", { id: "rules-note", placeholder: "修改说明", maxlength: 200, size: 30 }),
            el("button", { type: "button", id: "rules-save", class: "primary", onclick: save }, "保存并生效"))),
        el("div", { id: "rules-body" }));
      await reload();
    },
  };
})());
