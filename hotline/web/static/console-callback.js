// 预约回拨 on the agent console: a "回拨" badge beside 当前来电 while the call is a call-back (the pop carries
// `callback: true`, hotline/agents/screenpop.py). Listens to console.js's "hotline:message" event.
(function () {
  const title = document.getElementById("banner-title");
  const badge = document.createElement("span");
  badge.id = "callback-badge";
  badge.className = "badge";
  badge.textContent = "回拨";
  badge.title = "预约回拨：来电人此前按1预约，系统已回拨并接通";
  Object.assign(badge.style, { background: "#b45309", color: "#fff", marginLeft: "0.5em" });
  badge.hidden = true;
  title.appendChild(badge);
  document.addEventListener("hotline:message", (event) => {
    const msg = event.detail || {};
    if (msg.type === "pop") badge.hidden = !(msg.callback || (msg.call && msg.call.callback === true));
    else if (msg.type === "ringing") badge.hidden = true;
  });
})();
