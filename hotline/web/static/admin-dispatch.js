// Admin tab "dispatch": 承办单位 (units), places (区/街道/小区), 派单 rules and the default unit as editable
// tables; 保存 PUTs the whole directory (validated against the taxonomy, audited); 试算 shows which unit a
// sentence would be suggested to. Supervisors see the same tables read-only.
"use strict";
Admin.tab("dispatch", {
  async load(section) {
    const { el, api, canEdit, flash, errorText } = Admin;
    const KINDS = { department: "市直部门", utility: "公用事业", district: "区政府", street: "街道办", property: "二级处办平台（物业）" };
    const PLACE_KINDS = { district: "区", street: "街道", estate: "小区" };
    const list = (v) => (v || []).join("、");
    const splitList = (s) => s.split(/[、,，\s]+/).map((x) => x.trim()).filter(Boolean);
    let doc = await api("GET", "/api/dispatch/units");

    // one editable table: columns [{key, label, kind: "text"|"list"|"number"|"select", options}]
    function table(rows, columns, blank) {
      const body = el("tbody");
      const readRow = (tr) => Object.fromEntries(columns.map((c, i) => {
        const input = tr.cells[i].firstChild, v = input.value.trim();
        return [c.key, c.kind === "list" ? splitList(v) : c.kind === "number" ? Number(v || 0) : v];
      }));
      const addRow = (row) => {
        const tr = el("tr", {}, columns.map((c) => {
          const value = c.kind === "list" ? list(row[c.key]) : row[c.key] ?? "";
          const input = c.kind === "select"
            ? el("select", { disabled: !canEdit() }, Object.entries(c.options()).map(([v, t]) => el("option", { value: v, selected: v === value }, t)))
            : el("input", { value, readonly: !canEdit(), type: c.kind === "number" ? "number" : "text", "aria-label": c.label });
          input.style.width = (c.size || 9) + "em";   // CSSOM: the CSP allows no inline style attribute
          return el("td", {}, input);
        }), el("td", { class: "admin-only" }, el("button", { type: "button", class: "secondary", onclick: () => tr.remove(), title: "删除此行" }, "删除")));
        body.append(tr);
      };
      rows.forEach(addRow);
      const node = el("div", {}, el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, columns.map((c) => el("th", {}, c.label)), el("th", { class: "admin-only" }, ""))), body),
        el("button", { type: "button", class: "admin-only", onclick: () => addRow(blank) }, "添加一行"));
      node.read = () => [...body.rows].map(readRow);
      return node;
    }

    const unitOptions = () => Object.fromEntries(doc.units.map((u) => [u.id, u.name]));
    const placeOptions = () => ({ "": "—", ...Object.fromEntries(doc.places.map((p) => [p.name, p.name])) });
    const units = table(doc.units, [
      { key: "id", label: "编号", size: 14 }, { key: "name", label: "名称", size: 16 },
      { key: "kind", label: "类型", kind: "select", options: () => KINDS, size: 12 }, { key: "phone", label: "电话" },
      { key: "external_code", label: "工单系统编码" }], { kind: "department" });
    const places = table(doc.places, [
      { key: "name", label: "地名" }, { key: "kind", label: "层级", kind: "select", options: () => PLACE_KINDS, size: 5 },
      { key: "within", label: "所属", kind: "select", options: placeOptions }, { key: "aliases", label: "别名（顿号分隔）", kind: "list", size: 14 }],
      { kind: "estate" });
    const rules = table(doc.rules, [
      { key: "id", label: "规则", size: 11 }, { key: "categories", label: "分类（空=任意）", kind: "list", size: 12 },
      { key: "places", label: "地点（空=任意）", kind: "list", size: 7 }, { key: "keywords", label: "关键词（空=不限）", kind: "list", size: 13 },
      { key: "priority", label: "优先级", kind: "number", size: 4 },
      { key: "unit", label: "承办单位", kind: "select", options: unitOptions, size: 13 }, { key: "note", label: "说明", size: 10 }], { priority: 0 });
    const defaultUnit = el("select", { id: "dispatch-default", disabled: !canEdit() },
      doc.units.map((u) => el("option", { value: u.id, selected: u.id === doc.default_unit }, u.name)));
    const note = el("input", { id: "dispatch-change-note", size: 40, placeholder: "修改说明（记入操作记录）" });

    async function save() {
      const clean = (rows) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== "" && v !== null)));
      const body = { version: doc.version, units: clean(units.read()), places: clean(places.read()), rules: clean(rules.read()),
        default_unit: defaultUnit.value };
      try {
        doc = await api("PUT", "/api/dispatch/units?note=" + encodeURIComponent(note.value.trim()), body);
        flash(`已保存：${doc.units.length} 个承办单位，${doc.rules.length} 条规则`);
        note.value = "";
      } catch (err) { flash("保存失败：" + errorText(err), "error"); }
    }

    const tryText = el("input", { id: "dispatch-try-text", size: 50, placeholder: "例如：阳光花园小区电梯坏了，物业不管" });
    const tryLine = el("select", {}, ["general", "tourism", "business"].map((l) => el("option", { value: l }, l)));
    const tryResult = el("span", { id: "dispatch-try-result", class: "muted" });
    async function tryIt(e) {
      e.preventDefault();
      try {
        const r = await api("POST", "/api/dispatch/suggest", { text: tryText.value, line: tryLine.value });
        tryResult.textContent = `→ ${r.unit_name}（规则 ${r.rule}，分类 ${r.category}${r.place ? "，地点 " + r.place : ""}）`;
      } catch (err) { tryResult.textContent = errorText(err); }
    }

    section.replaceChildren(
      el("h2", {}, "派单规则与承办单位"),
      el("p", { class: "muted" }, "规则匹配：分类包含工单分类（空为任意）、地点包含来电人提到的地点（小区属于街道、街道属于区）、关键词任一出现；" +
        "优先级高者胜，其次地点更具体者（小区＞街道＞区），再按顺序；都不匹配时派给默认单位。"),
      el("form", { class: "toolbar", onsubmit: tryIt }, el("label", {}, "试算 ", tryText), tryLine, el("button", { type: "submit" }, "试算"), tryResult),
      el("h3", {}, "派单规则"), rules,
      el("p", {}, el("label", {}, "默认承办单位 ", defaultUnit)),
      el("h3", {}, "承办单位"), units,
      el("h3", {}, "地点（区、街道、小区）"), places,
      el("div", { class: "toolbar admin-only" }, note, el("button", { type: "button", id: "dispatch-save", onclick: save }, "保存")));
  },
});
