// Admin tab "menu": the active voice menu as a tree (menu → keys → action), edited in place; every change is
// checked by POST /api/menus/validate (the schema the CLI uses) with errors shown at the field, a preview of
// what a caller hears and the changes against the active version; publish with a note, history, rollback.
"use strict";
Admin.tab("menu", (() => {
  const { el, api, fmtTime, flash, errorText, canEdit } = Admin;
  const ACTION_NAMES = { queue: "转人工（线路）", menu: "进入子菜单", play: "播放提示音后返回", repeat: "重听本菜单" };
  const PART_NAMES = { keys: "按键", on_timeout: "不按键时", on_invalid: "按错太多时", queue: "线路", menu: "子菜单",
    prompt: "提示音", timeout_seconds: "等待秒数", max_invalid: "允许按错次数", invalid_prompt: "按错提示音",
    record: "描述", record_prompt: "描述提示音", start: "开始菜单", record_max_seconds: "描述最长秒数",
    record_silence_seconds: "静音结束秒数", menus: "菜单" };
  const MENU_FIELDS = ["prompt", "timeout_seconds", "max_invalid", "invalid_prompt", "keys", "on_timeout", "on_invalid"];
  let section, catalogue, active, draft, timer, seq = 0;

  // --- the draft: keys and menus as lists, so a key typed twice stays visible (and reported) -----------------
  function fromMenu(menu) {
    const { menus, ...top } = menu;
    return { top, menus: Object.entries(menus).map(([name, m]) => {
      const { keys, ...rest } = m;
      return { name, ...rest, keys: Object.entries(keys || {}).map(([key, action]) => ({ key, action })) };
    }) };
  }
  const J = (v) => JSON.stringify(v === undefined ? null : v);
  const obj = (pairs) => "{" + pairs.map(([k, v]) => JSON.stringify(String(k)) + ":" + v).join(",") + "}";
  function toJson(d) {
    const menu = (m) => obj(Object.entries(m).filter(([k]) => k !== "name" && k !== "keys").map(([k, v]) => [k, J(v)])
      .concat([["keys", obj(m.keys.map((r) => [r.key, J(r.action)]))]]));
    return obj(Object.entries(d.top).map(([k, v]) => [k, J(v)]).concat([["menus", obj(d.menus.map((m) => [m.name, menu(m)]))]]));
  }
  const number = (text) => (text.trim() !== "" && !isNaN(Number(text)) ? Number(text) : text);

  async function post(path, text) {  // the draft as written (a JSON object may hold a key twice)
    const response = await fetch(path, { method: "POST", body: text, headers: {
      Authorization: "Bearer " + localStorage.getItem("hotline_token"), "Content-Type": "application/json" } });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw { status: response.status, detail: (data && data.detail) || response.statusText };
    return data;
  }

  // --- inputs bound to the draft ----------------------------------------------------------------------------
  function input(path, value, set, attrs = {}) {
    const box = el("input", { "data-path": path, value: value === undefined || value === null ? "" : value,
      disabled: !canEdit(), ...attrs });
    box.addEventListener("input", () => { set(attrs.type === "number" ? number(box.value) : box.value); changed(); });
    return box;
  }
  const field = (label, control) => el("label", { class: "menu-field" }, label, " ", control);

  function actionEditor(path, action, set, own = true) {
    action = action || { action: "repeat" };
    const kinds = Object.keys(catalogue.actions);
    if (!kinds.includes(action.action)) kinds.push(action.action);
    const kind = el("select", { "data-path": path + ".action", disabled: !canEdit() },
      kinds.map((k) => el("option", { value: k, selected: k === action.action }, ACTION_NAMES[k] || k)));
    kind.addEventListener("change", () => { set(blankAction(kind.value)); render(); changed(); });
    const box = el("span", { class: "action", "data-path": own ? path : null }, kind);
    const upd = (k, v) => { action[k] = v; set(action); };
    const schema = (catalogue.actions[action.action] || {}).properties || {};
    const fields = Object.keys(schema).length ? Object.keys(schema) : Object.keys(action);
    for (const name of fields.filter((f) => f !== "action")) {
      const p = `${path}.${name}`;
      if (action.action === "queue" && name === "queue") {
        const label = el("span", { class: "muted" }, lineLabel(action.queue));
        const box2 = input(p, action.queue, (v) => { upd("queue", v); label.textContent = lineLabel(v); },
          { list: "menu-lines", size: 10, placeholder: "线路" });
        box.append(box2, label);
      } else if (action.action === "menu" && name === "menu") {
        box.append(input(p, action.menu, (v) => upd("menu", v), { list: "menu-names", size: 10, placeholder: "子菜单" }));
      } else if (name === "prompt") {
        box.append(input(p, action.prompt, (v) => upd("prompt", v), { list: "menu-prompts", size: 16, placeholder: "提示音" }));
      } else if ((schema[name] || {}).type === "boolean" || typeof action[name] === "boolean") {
        const check = el("input", { type: "checkbox", "data-path": p, checked: !!action[name], disabled: !canEdit() });
        check.addEventListener("change", () => { upd(name, check.checked); changed(); });
        box.append(el("label", { class: "menu-field" }, check, name === "record" ? " 先请来电者描述诉求" : " " + name));
      } else {
        const numeric = ["number", "integer"].includes((schema[name] || {}).type);
        box.append(field(name, input(p, action[name], (v) => upd(name, v), numeric ? { type: "number", step: "any" } : {})));
      }
    }
    return box;
  }
  function blankAction(kind) {
    if (kind === "queue") return { action: "queue", queue: "general", record: true };
    if (kind === "menu") return { action: "menu", menu: (draft.menus.find((m) => m.name !== draft.top.start) || {}).name || "" };
    if (kind === "play") return { action: "play", prompt: "" };
    const schema = (catalogue.actions[kind] || {}).properties || {};
    const made = { action: kind };
    for (const [k, s] of Object.entries(schema)) if (k !== "action" && s.default !== undefined) made[k] = s.default;
    return made;
  }
  const lineLabel = (name) => { const l = catalogue.lines.find((x) => x.name === name); return l ? l.label : ""; };

  // --- the tree ---------------------------------------------------------------------------------------------
  function menuCard(m) {
    const base = `menus.${m.name}`;
    const isStart = m.name === draft.top.start;
    const name = input(base + ".__name", m.name, (v) => renameMenu(m, v.trim()), { size: 12, class: "menu-name", disabled: !canEdit() || isStart });
    const rows = el("tbody", {}, m.keys.map((row, i) => { const tr = el("tr", { class: "key-row" },
      el("td", {}, input(`${base}.keys.${row.key}`, row.key, (v) => { const was = `menus.${m.name}.keys.${row.key}`;
        row.key = v.trim(); repath(tr, was, `menus.${m.name}.keys.${row.key}`); }, { size: 2, class: "key", maxlength: 3 })),
      el("td", {}, actionEditor(`${base}.keys.${row.key}`, row.action, (a) => { row.action = a; }, false)),
      el("td", { class: "admin-only" }, el("button", { type: "button", class: "link", onclick: () => { m.keys.splice(i, 1); render(); changed(); } }, "删除")));
      return tr; }));
    const used = new Set(m.keys.map((r) => r.key));
    const free = "1234567890*#".split("").find((k) => !used.has(k)) || "1";
    return el("article", { class: "menu-card", "data-menu": m.name, "data-path": base },
      el("header", {}, el("strong", {}, isStart ? "开始菜单 " : "子菜单 "), name,
        isStart ? null : el("button", { type: "button", class: "link admin-only", onclick: () => removeMenu(m) }, "删除此子菜单")),
      el("div", { class: "menu-row" },
        field("提示音", input(`${base}.prompt`, m.prompt, (v) => { m.prompt = v; }, { list: "menu-prompts", size: 16 })),
        field("等待按键（秒）", input(`${base}.timeout_seconds`, m.timeout_seconds, (v) => { m.timeout_seconds = v; }, { type: "number", step: "any", class: "num" })),
        field("允许按错（次）", input(`${base}.max_invalid`, m.max_invalid, (v) => { m.max_invalid = v; }, { type: "number", class: "num" })),
        field("按错提示音", input(`${base}.invalid_prompt`, m.invalid_prompt, (v) => { m.invalid_prompt = v; }, { list: "menu-prompts", size: 12 }))),
      el("table", { class: "grid keys" }, el("thead", {}, el("tr", {}, el("th", {}, "按键"), el("th", {}, "动作"), el("th", { class: "admin-only" }, ""))), rows),
      el("button", { type: "button", class: "admin-only add-key", onclick: () => { m.keys.push({ key: free, action: blankAction("queue") }); render(); changed(); } }, "＋ 添加按键"),
      el("div", { class: "menu-row" }, el("span", { class: "menu-field" }, "不按键时 ", actionEditor(`${base}.on_timeout`, m.on_timeout, (a) => { m.on_timeout = a; }))),
      el("div", { class: "menu-row" }, el("span", { class: "menu-field" }, "按错太多时 ", actionEditor(`${base}.on_invalid`, m.on_invalid, (a) => { m.on_invalid = a; }))));
  }
  function renameMenu(m, name) {  // the menu's fields and every action going to it follow the new name
    const was = "menus." + m.name;
    for (const other of draft.menus) for (const a of [...other.keys.map((r) => r.action), other.on_timeout, other.on_invalid])
      if (a && a.action === "menu" && a.menu === m.name) a.menu = name;
    section.querySelectorAll('#menu-tree input[data-path$=".menu"]').forEach((box) => { if (box.value === m.name) box.value = name; });
    m.name = name;
    repath(section.querySelector(`article[data-menu="${CSS.escape(was.slice(6))}"]`), was, "menus." + name);
    section.querySelector("#menu-names").replaceChildren(...draft.menus.map((x) => el("option", { value: x.name })));
  }
  function repath(root, from, to) {
    if (!root) return;
    if (root.dataset.menu !== undefined && from.startsWith("menus.")) root.dataset.menu = to.slice(6);
    for (const node of [root, ...root.querySelectorAll("[data-path]")]) {
      const p = node.dataset.path;
      if (p && (p === from || p.startsWith(from + "."))) node.dataset.path = to + p.slice(from.length);
    }
  }
  function removeMenu(m) { draft.menus = draft.menus.filter((x) => x !== m); render(); changed(); }
  function addMenu() {
    let n = 1;
    while (draft.menus.some((m) => m.name === "sub" + n)) n++;
    draft.menus.push({ name: "sub" + n, prompt: "welcome", timeout_seconds: 5, max_invalid: 2, invalid_prompt: "input-error",
      keys: [], on_timeout: { action: "queue", queue: "general", record: true }, on_invalid: { action: "queue", queue: "general", record: true } });
    render(); changed();
  }

  function render() {
    const lists = [
      el("datalist", { id: "menu-lines" }, catalogue.lines.map((l) => el("option", { value: l.name }, l.label))),
      el("datalist", { id: "menu-prompts" }, catalogue.prompts.map((p) => el("option", { value: p.name }, p.text))),
      el("datalist", { id: "menu-names" }, draft.menus.map((m) => el("option", { value: m.name })))];
    section.querySelector("#menu-tree").replaceChildren(...lists, ...draft.menus.map(menuCard),
      el("button", { type: "button", class: "admin-only", id: "add-menu", onclick: addMenu }, "＋ 添加子菜单"));
    showIssues(section.lastIssues || []);
  }

  // --- checking as the admin types --------------------------------------------------------------------------
  function changed() { clearTimeout(timer); timer = setTimeout(check, 300); }
  async function check() {
    const mine = ++seq;
    try {
      const result = await post("/api/menus/validate", toJson(draft));
      if (mine === seq) showResult(result);
    } catch (err) { if (mine === seq) flash("检查失败：" + errorText(err), "error"); }
  }
  const pathWords = (path) => path.split(".").filter((p) => p !== "menus").map((p) => PART_NAMES[p] || p).join(" › ") || "整个菜单";
  function showIssues(issues) {
    section.lastIssues = issues;
    section.querySelectorAll("#menu-tree .field-error").forEach((n) => n.remove());
    section.querySelectorAll("#menu-tree .invalid").forEach((n) => n.classList.remove("invalid"));
    for (const issue of issues) {
      let parts = issue.loc.map(String), target = [];
      while (parts.length && !(target = section.querySelectorAll(`#menu-tree [data-path="${CSS.escape(parts.join("."))}"]`)).length) parts = parts.slice(0, -1);
      for (const node of target) {
        node.classList.add("invalid");
        const note = el("span", { class: `field-error ${issue.level}` }, issue.message);
        if (node.tagName === "ARTICLE") node.querySelector("header").append(note);
        else if (node.tagName === "SPAN") node.append(note);
        else node.after(note);
      }
    }
  }
  function showResult(r) {
    const issues = [...r.errors, ...r.warnings];
    showIssues(issues);
    const box = section.querySelector("#menu-check");
    box.replaceChildren(r.valid ? el("p", { class: "ok-text" }, "✔ 菜单没有错误") : el("p", { class: "error-text" }, `有 ${r.errors.length} 处错误，改正后才能发布`),
      el("ul", { class: "issues" }, issues.map((i) => el("li", { class: i.level }, el("b", {}, pathWords(i.path)), "：", i.message))));
    section.querySelector("#publish").disabled = !r.valid || !canEdit();
    const preview = section.querySelector("#menu-preview");
    preview.replaceChildren(...(r.preview || []).map((m) => el("div", { class: "say" },
      el("h4", {}, m.start ? `主菜单（${m.menu}）` : `子菜单 ${m.menu}`), el("ul", {}, m.lines.map((l) => el("li", {}, l))))));
    if (!r.valid) preview.append(el("p", { class: "muted" }, "改正错误后显示"));
    const diff = section.querySelector("#menu-diff");
    const changes = r.changes || [];
    if (!r.valid) { diff.replaceChildren(el("p", { class: "muted" }, "改正错误后显示")); return; }
    diff.replaceChildren(el("p", { class: "muted" }, `与当前生效版本 ${r.active_version ?? "—"} 相比：`),
      changes.length ? el("ul", {}, changes.map((c) => el("li", {}, c))) : el("p", {}, "没有改动"));
    if (r.diff) diff.append(el("details", {}, el("summary", {}, "逐行对比"), el("pre", { class: "diff" }, r.diff.split("\n").map((line) =>
      el("span", { class: line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : null }, line + "\n")))));
  }

  // --- publish, history, rollback ---------------------------------------------------------------------------
  async function publish() {
    const note = section.querySelector("#publish-note").value.trim();
    try {
      const { version } = await post("/api/menus?note=" + encodeURIComponent(note), toJson(draft));
      flash(`已发布版本 ${version}，下一通来电起生效`);
      section.querySelector("#publish-note").value = "";
      await reloadActive();
    } catch (err) { flash("发布失败：" + errorText(err), "error"); }
  }
  async function rollback(version, button) {
    if (!button.dataset.armed) {
      button.dataset.armed = "1";
      button.textContent = `确认回滚到版本 ${version}`;
      setTimeout(() => { delete button.dataset.armed; button.textContent = "回滚到此版本"; }, 6000);
      return;
    }
    try {
      await api("POST", `/api/menus/${version}/activate?note=` + encodeURIComponent("页面回滚"));
      flash(`已回滚到版本 ${version}，下一通来电起生效`);
      await reloadActive();
    } catch (err) { flash("回滚失败：" + errorText(err), "error"); }
  }
  async function showHistory() {
    const data = await api("GET", "/api/menus/versions");
    const rows = data.versions.map((v) => el("tr", { "data-version": v.version, class: v.version === data.active ? "current" : null },
      el("td", {}, "版本 " + v.version), el("td", {}, v.author), el("td", {}, fmtTime(v.created_at)), el("td", {}, v.note || ""),
      el("td", {}, v.version === data.active ? el("span", { class: "badge" }, "生效中")
        : el("button", { type: "button", class: "admin-only rollback", onclick: (e) => rollback(v.version, e.target) }, "回滚到此版本"))));
    const events = data.history.slice(0, 8).map((h) => el("li", {}, `${fmtTime(h.t)} ${h.author} ${h.action === "rollback" ? "回滚到" : "发布"}版本 ${h.version}${h.note ? "（" + h.note + "）" : ""}`));
    section.querySelector("#menu-history").replaceChildren(
      el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ["版本", "操作人", "时间", "说明", ""].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
      el("ul", { class: "events muted" }, events));
  }
  async function reloadActive() {
    active = await api("GET", "/api/menus/active");
    draft = fromMenu(active.menu);
    section.querySelector("#menu-active").textContent = `当前生效：版本 ${active.version}`;
    render();
    await Promise.all([check(), showHistory()]);
  }

  return {
    async load(s) {
      section = s;
      catalogue = await api("GET", "/api/menus/catalogue");
      section.replaceChildren(
        el("div", { class: "menu-head" }, el("h2", {}, "语音菜单"), el("span", { id: "menu-active", class: "muted" }),
          el("button", { type: "button", class: "admin-only", onclick: () => reloadActive().then(() => flash("已放弃未发布的修改")) }, "放弃修改")),
        el("div", { class: "menu-layout" },
          el("div", { id: "menu-tree" }),
          el("aside", { class: "menu-side" },
            el("h3", {}, "检查"), el("div", { id: "menu-check" }),
            el("div", { class: "admin-only publish" }, el("input", { id: "publish-note", placeholder: "发布说明（如：新增水电气热子菜单）", maxlength: 200 }),
              el("button", { type: "button", id: "publish", class: "primary", onclick: publish }, "发布")),
            el("h3", {}, "来电者将听到"), el("div", { id: "menu-preview" }),
            el("h3", {}, "改动"), el("div", { id: "menu-diff" }),
            el("h3", {}, "历史版本"), el("div", { id: "menu-history" }))));
      await reloadActive();
    },
  };
})());
