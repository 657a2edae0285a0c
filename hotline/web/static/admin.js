// Admin console shell: login check, role (admins edit; supervisors view read-only), tabs, API helper,
// flash messages. Each tab lives in its own admin-<tab>.js and registers with Admin.tab(name, {load}).
"use strict";
const Admin = (() => {
  const token = localStorage.getItem("hotline_token");
  const user = JSON.parse(localStorage.getItem("hotline_user") || "null");
  const tabs = new Map();
  const loaded = new Set();
  const toLogin = () => { localStorage.removeItem("hotline_token"); location.href = "/login?next=/admin"; };
  if (!token) toLogin();

  // fetch with the session; JSON in and out; throws {status, detail} (detail: the API's message or list)
  async function api(method, path, body, opts = {}) {
    const headers = { Authorization: "Bearer " + token };
    let payload = body;
    if (body !== undefined && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(path, { method, headers, body: payload });
    if (response.status === 401) { toLogin(); throw { status: 401, detail: "请重新登录" }; }
    if (opts.raw) { if (!response.ok) throw { status: response.status, detail: response.statusText }; return response; }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw { status: response.status, detail: (data && data.detail) || response.statusText };
    return data;
  }

  // one line per error: "menus.main.keys.5: 线路不存在" — FastAPI lists ({loc, msg}) or a plain string
  function errorText(err) {
    const d = err && err.detail !== undefined ? err.detail : err;
    if (err && err.status === 403) return "无权限：只有系统管理员可以修改";
    if (Array.isArray(d)) return d.map((e) => (e.loc ? e.loc.filter((p) => p !== "body").join(".") + "：" : "") + e.msg).join("\n");
    return typeof d === "string" ? d : JSON.stringify(d);
  }

  function flash(text, kind = "ok") {
    const box = document.getElementById("flash");
    box.textContent = text;
    box.className = "flash " + kind;
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { box.hidden = true; }, kind === "ok" ? 4000 : 12000);
  }

  // element builder: el("button", {class: "x", onclick: f}, "文字", child...)
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  const canEdit = () => user && user.role === "admin";
  const fmtTime = (t) => new Date(t * 1000).toLocaleString("zh-CN", { hour12: false });

  function tab(name, module) { tabs.set(name, module); }

  async function show(name) {
    document.querySelectorAll("#tabs [data-tab]").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
    document.querySelectorAll("main .tab").forEach((s) => { s.hidden = s.id !== "tab-" + name; });
    const module = tabs.get(name);
    const section = document.getElementById("tab-" + name);
    if (!module) { section.replaceChildren(el("p", { class: "muted" }, "此功能尚未开放")); return; }
    if (!loaded.has(name) || module.reload) {
      loaded.add(name);
      try { await module.load(section); } catch (err) { flash("加载失败：" + errorText(err), "error"); }
    }
    history.replaceState(null, "", "#" + name);
  }

  function start() {
    if (!user || (user.role !== "admin" && user.role !== "supervisor")) return toLogin();
    document.getElementById("who").textContent = user.display_name || user.username;
    document.getElementById("readonly").hidden = canEdit();
    document.body.classList.toggle("readonly", !canEdit());
    document.getElementById("logout").addEventListener("click", async () => {
      await api("POST", "/api/auth/logout").catch(() => {});
      toLogin();
    });
    document.querySelectorAll("#tabs [data-tab]").forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
    show((location.hash || "#menu").slice(1));
  }

  return { api, errorText, flash, el, canEdit, fmtTime, tab, show, start, user };
})();
// after every tab's script has registered (the CSP allows no inline script to call this from the page)
document.addEventListener("DOMContentLoaded", () => Admin.start());
