// Agent console: queue state controls, screen-pop over /ws/agent (with replay from the last seen id),
// the draft-ticket form (PATCH/submit via the tickets API) and the 150-second target countdown.
"use strict";
const TARGET_SECONDS = 150;
const token = localStorage.getItem("hotline_token");
const $ = (id) => document.getElementById(id);
// ticket field (hotline.tickets Ticket / PATCH body) -> form element id
const FIELDS = { request_type: "request-type", category: "category", urgency: "urgency", address: "location", summary: "summary",
  reply: "reply" };
const TRANSCRIPT_STATUS = { pending: "（语音转写中…）", no_speech: "未识别到语音", unavailable: "（转写不可用）", error: "（转写失败）",
  failed: "（转写出错）", no_recording: "（来电人未留言）" };
const UNSURE_BELOW = 0.5;  // Whisper word probability under which a stretch is marked as doubtful
const STATUS_TEXT = { ringing: "振铃中", connected: "通话中", ended: "已结束" };
const END_REASON = { caller: "来电人挂机", agent: "坐席挂机", transfer: "已转接", no_answer: "未接听",
  abandoned: "来电人放弃", answered_elsewhere: "已由其他坐席接听", completed: "已结束" };
let me = null;
let current = null;        // {call, ticket, previous, status}
let dirty = new Set();     // form fields the agent changed and has not saved
let socket = null, retryDelay = 1000, pinger = null;
// last stream id seen by THIS page: a reconnect asks for what came after it; a fresh page load has no
// state yet, so it sends none and the server replays the agent's most recent messages instead
let lastId = null;

if (!token) location.href = "/login?next=/console";

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: { "Authorization": "Bearer " + token, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) { signOutLocally(); throw new Error("登录已过期"); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(typeof data.detail === "string" ? data.detail : ("HTTP " + response.status));
  return data;
}

function signOutLocally() {
  localStorage.removeItem("hotline_token");
  location.href = "/login?next=/console";
}

// ---- agent state ---------------------------------------------------------------------------
function renderState(state) {
  const summary = $("state-summary");
  if (!state) { summary.textContent = "此账号没有话机分机"; return; }
  summary.className = "state-summary " + (!state.logged_in ? "out" : state.paused ? "paused" : "ready");
  const reasons = [...new Set(state.queues.filter((q) => q.paused && !q.logged_out).map((q) => q.reason).filter(Boolean))];
  summary.textContent = !state.logged_in ? "未签入" : state.paused ? "示忙" + (reasons.length ? "（" + reasons.join("、") + "）" : "") : "空闲可接听";
  $("queue-rows").innerHTML = "";
  for (const q of state.queues) {
    const row = $("queue-rows").insertRow();
    const status = q.logged_out ? "已签出" : q.paused ? "示忙 " + (q.reason || "") : "就绪";
    for (const text of [q.label || q.queue, status, q.status_text, String(q.calls_taken)]) row.insertCell().textContent = text;
  }
  if (!state.ami_connected) $("state-error").textContent = "与交换机的连接中断，状态可能不是最新";
}

async function stateAction(path, body) {
  $("state-error").textContent = "";
  try { renderState(await api("POST", "/api/agents/me/" + path, body)); }
  catch (err) { $("state-error").textContent = "操作失败：" + err.message; }
}

// ---- call banner and countdown -------------------------------------------------------------
function renderBanner() {
  const banner = $("call-banner");
  banner.className = "panel banner " + (current ? current.status : "idle");
  $("banner-empty").hidden = !!current;
  $("banner-details").hidden = !current;
  if (!current) return;
  const call = current.call || {};
  $("caller-number").textContent = call.caller || "未知号码";
  $("call-line").textContent = call.line || call.route || "—";
  $("wait-time").textContent = call.hold_seconds != null ? call.hold_seconds + " 秒" : "—";
  $("call-status").textContent = STATUS_TEXT[current.status] + (current.reason ? "（" + (END_REASON[current.reason] || current.reason) + "）" : "");
  tick();
}

function tick() {
  const box = $("countdown");
  const started = current && current.call && current.call.started_at;
  if (!started) { box.textContent = "—"; return; }
  const t = current.ticket, dispatched = t && t.status === "dispatched" && t.dispatched_at;
  const done = dispatched || (t && t.status === "submitted" && t.submitted_at);
  if (done) {  // the clock stops when the ticket is in (dispatched: the 150 s target's end)
    const used = Math.round(done - started);
    box.textContent = (dispatched ? "已派单，用时 " : "已提交，用时 ") + used + " 秒";
    box.className = "countdown" + (used > TARGET_SECONDS ? " over" : "");
    return;
  }
  const left = Math.round(TARGET_SECONDS - (Date.now() / 1000 - started));
  box.textContent = left >= 0 ? "剩余 " + left + " 秒" : "已超时 " + (-left) + " 秒";
  box.className = "countdown" + (left < 0 ? " over" : left < 30 ? " warn" : "");
}
setInterval(() => { if (current) tick(); }, 1000);

// ---- ticket form ---------------------------------------------------------------------------
const pick = (t, ...keys) => { for (const k of keys) if (t && t[k] != null && t[k] !== "") return t[k]; return ""; };

function ensureOption(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.add(new Option(value, value));
}

function fillTicket(ticket, onlyClean) {
  $("ticket-fields").disabled = !ticket;
  if (!ticket) return;
  $("ticket-id").textContent = ticket.id || "";
  const status = pick(ticket, "status") || "draft";
  $("ticket-status").textContent = { submitted: "已提交", dispatched: "已派单" }[status] || "草稿";
  $("ticket-status").className = "badge " + status;
  renderTranscript(ticket);
  const values = { request_type: pick(ticket, "request_type"), category: pick(ticket, "category"), urgency: pick(ticket, "urgency"),
    address: pick(ticket, "address") || (ticket.location_hints || [])[0] || "", summary: pick(ticket, "summary"),
    reply: pick(ticket, "reply") };
  for (const [field, id] of Object.entries(FIELDS)) {
    if (onlyClean && dirty.has(field)) continue;  // never overwrite what the agent is typing
    const el = $(id);
    if (el.tagName === "SELECT") ensureOption(el, values[field]);
    el.value = values[field] || "";
    el.classList.remove("dirty");
  }
  if (!onlyClean) dirty.clear();
  if (window.ConsoleDispatch) ConsoleDispatch.show(ticket);  // console-dispatch.js: the 派单 panel
}

// The 汉字 pass (ticket.hanzi) is what the caller said; the fast pass (ticket.transcript) gives pinyin and
// keyword hits, one click away. Words Whisper was unsure of are marked; no speech says so, never invents.
function transcriptText(ticket) {
  const fast = typeof ticket.transcript === "object" && ticket.transcript ? ticket.transcript : { text: ticket.transcript || "" };
  const hanzi = ticket.hanzi || { status: "pending" };
  if (hanzi.status === "done" && hanzi.text) return { text: hanzi.text, tokens: hanzi.tokens || [] };
  if (hanzi.status === "pending" && fast.text) return { text: fast.text, tokens: [] };  // a character engine in the fast pass
  if (hanzi.status === "pending" && fast.status === "no_speech") return { status: "no_speech" };
  return { status: hanzi.status === "done" ? "no_speech" : hanzi.status };
}

function renderTranscript(ticket) {
  const box = $("transcript"), shown = transcriptText(ticket);
  box.className = "transcript" + (shown.text ? "" : " status");
  if (!shown.text) { box.textContent = TRANSCRIPT_STATUS[shown.status] || "（无转写）"; }
  else {
    const parts = [];
    let at = 0;
    for (const token of shown.tokens) {
      const found = token.text ? shown.text.indexOf(token.text, at) : -1;
      if (found < 0 || token.probability == null || token.probability >= UNSURE_BELOW) continue;
      if (found > at) parts.push(document.createTextNode(shown.text.slice(at, found)));
      parts.push(Object.assign(document.createElement("span"), { className: "unsure", textContent: token.text,
        title: "识别把握较低（" + Math.round(token.probability * 100) + "%）" }));
      at = found + token.text.length;
    }
    parts.push(document.createTextNode(shown.text.slice(at)));
    box.replaceChildren(...parts);
  }
  const fast = (typeof ticket.transcript === "object" && ticket.transcript) || {};
  $("transcript-pinyin").textContent = fast.pinyin || "—";
  const hits = [...new Set([...(fast.keywords || []).map((k) => k.word || k), ...(ticket.matched || [])])];
  $("keyword-hits").replaceChildren(...hits.map((h) => Object.assign(document.createElement("span"), { className: "chip", textContent: h })));
  $("suggested-summary").textContent = ticket.suggested_summary || "";
  $("summary-suggestion").hidden = !ticket.suggested_summary || pick(ticket, "status") === "submitted";
}

function acceptSuggestion() {
  const text = $("suggested-summary").textContent;
  if (!text) return;
  $("summary").value = text;
  dirty.add("summary"); $("summary").classList.add("dirty");
  $("summary").focus();
}

function renderPrevious(list) {
  const body = $("previous-tickets");
  body.innerHTML = "";
  if (!list || !list.length) { body.insertRow().insertCell().textContent = "无"; return; }
  for (const t of list) {
    const row = body.insertRow();
    const when = t.created_at ? new Date(t.created_at * 1000).toLocaleString("zh-CN") : "";
    for (const text of [when, t.id, t.category, t.request_type, { submitted: "已提交", dispatched: "已派单" }[t.status] || "草稿", t.summary])
      row.insertCell().textContent = text || "";
  }
}

function formValues() {
  const body = {};  // empty choices are left out: the tickets API rejects unknown (or blank) categories
  for (const [field, id] of Object.entries(FIELDS)) {
    const value = $(id).value.trim();
    if (value || field === "summary" || field === "address" || field === "reply") body[field] = value;
  }
  return body;
}

async function saveTicket(thenSubmit) {
  const ticket = current && current.ticket;
  const message = $("ticket-message");
  if (!ticket || !ticket.id) { message.textContent = "没有可保存的工单"; return; }
  message.className = "message"; message.textContent = thenSubmit ? "提交中…" : "保存中…";
  try {
    let saved = await api("PATCH", "/api/tickets/" + encodeURIComponent(ticket.id), formValues());
    dirty.clear();
    for (const id of Object.values(FIELDS)) $(id).classList.remove("dirty");
    if (thenSubmit) saved = await api("POST", "/api/tickets/" + encodeURIComponent(ticket.id) + "/submit");
    current.ticket = saved && saved.id ? saved : current.ticket;
    fillTicket(current.ticket, true);
    message.className = "message ok"; message.textContent = thenSubmit ? "工单已提交" : "已保存";
  } catch (err) {
    message.className = "message fail"; message.textContent = (thenSubmit ? "提交失败：" : "保存失败：") + err.message;
  }
}

// ---- screen-pop messages -------------------------------------------------------------------
function sameCall(msg) { return current && msg.call && msg.call.call_id && current.call.call_id === msg.call.call_id; }

function handle(msg) {
  if (msg.id) lastId = msg.id;
  if (msg.hints && typeof KbHints !== "undefined" && (msg.type === "pop" || sameCall(msg))) KbHints.show(msg.hints);  // console-kb.js
  switch (msg.type) {
    case "hello": me = { agent: msg.agent, user: msg.user }; renderState(msg.state); break;
    case "state": renderState(msg.state); break;
    case "ringing":
      if (current && current.status === "connected") break;  // a pre-pop never hides the live call
      current = { call: msg.call, ticket: msg.ticket, previous: [], status: "ringing" };
      fillTicket(msg.ticket, false); renderPrevious([]); break;
    case "pop":
      current = { call: msg.call, ticket: msg.ticket, previous: msg.previous_tickets, status: "connected" };
      $("ticket-message").textContent = "";
      fillTicket(msg.ticket, false); renderPrevious(msg.previous_tickets);
      document.title = "【来电】" + (msg.call.caller || "") + " · 坐席工作台";
      $("summary").focus();
      break;
    case "update":
      if (!current || !msg.ticket) break;
      if (sameCall(msg) || (current.ticket && current.ticket.id === msg.ticket.id)) {
        current.ticket = msg.ticket; fillTicket(msg.ticket, true);
      }
      break;
    case "ended":
      if (sameCall(msg)) {
        if (current.status === "ringing") { current = null; fillTicket(null); }
        else { current.status = "ended"; current.reason = msg.reason; }
        document.title = "坐席工作台 · 12345";
      }
      break;
  }
  renderBanner();
  document.dispatchEvent(new CustomEvent("hotline:message", { detail: msg }));   // add-ons (console-*.js) listen
}

function connect() {
  const url = new URL("/ws/agent", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", token);
  if (lastId) url.searchParams.set("last_id", lastId);
  socket = new WebSocket(url);
  socket.onopen = () => {
    retryDelay = 1000;
    $("link-state").textContent = "已连接"; $("link-state").className = "link-state ok";
    pinger = setInterval(() => socket.readyState === 1 && socket.send('{"type":"ping"}'), 20000);
  };
  socket.onmessage = (event) => handle(JSON.parse(event.data));
  socket.onclose = (event) => {
    clearInterval(pinger);
    $("link-state").textContent = "连接断开，重连中…"; $("link-state").className = "link-state down";
    if (event.code === 4401) return signOutLocally();
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 5000);
  };
}

async function loadFormOptions() {
  try {
    const options = await api("GET", "/api/tickets/form-options");
    for (const v of options.request_types) $("request-type").add(new Option(v, v));
    for (const v of options.categories) $("category").add(new Option(v, v));
    for (const u of options.urgency) $("urgency").add(new Option(u.label, u.value));
  } catch (err) { $("ticket-message").textContent = "表单选项读取失败：" + err.message; }
}

async function init() {
  const info = await api("GET", "/api/agents/me");
  me = { agent: info.user.endpoint, user: info.user };
  $("who").textContent = info.user.display_name + (info.user.endpoint ? "（分机 " + info.user.endpoint + "）" : "");
  renderState(info.state);
  await loadFormOptions();
  connect();
}

$("queue-login").addEventListener("click", () => stateAction("login"));
$("queue-logout").addEventListener("click", () => stateAction("logout"));
$("resume").addEventListener("click", () => stateAction("resume"));
$("pause-form").addEventListener("submit", (e) => { e.preventDefault(); stateAction("pause", { reason: $("pause-reason").value }); });
$("save-ticket").addEventListener("click", () => saveTicket(false));
$("ticket-form").addEventListener("submit", (e) => { e.preventDefault(); saveTicket(true); });
$("accept-summary").addEventListener("click", acceptSuggestion);
for (const [field, id] of Object.entries(FIELDS))
  $(id).addEventListener("input", () => { dirty.add(field); $(id).classList.add("dirty"); });
$("sign-out").addEventListener("click", async () => { try { await api("POST", "/api/auth/logout"); } catch (e) {} signOutLocally(); });
if (token) init().catch((err) => { $("state-error").textContent = "初始化失败：" + err.message; });
