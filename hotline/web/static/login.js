// Shared login: stores the token in localStorage "hotline_token" and goes to the role's page.
"use strict";
const form = document.getElementById("login-form");
const errorBox = document.getElementById("login-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.textContent = "";
  const body = { username: form.username.value.trim(), password: form.password.value };
  let response;
  try {
    response = await fetch("/api/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  } catch (err) {
    errorBox.textContent = "无法连接服务器，请稍后重试";
    return;
  }
  if (!response.ok) {
    const detail = await response.json().catch(() => ({}));
    errorBox.textContent = response.status === 429 ? "登录失败次数过多，请稍后再试"
      : response.status === 401 ? "用户名或密码错误" : ("登录失败：" + (detail.detail || response.status));
    form.password.select();
    return;
  }
  const data = await response.json();
  localStorage.setItem("hotline_token", data.token);
  localStorage.setItem("hotline_user", JSON.stringify(data.user));
  const next = new URLSearchParams(location.search).get("next");
  location.href = sameOriginPath(next) || data.home;
});

// `next=` may only lead to a page of this site: "/\evil.example" and "//evil.example" are other sites to a
// browser, so the URL is resolved and its origin compared, not its first characters.
function sameOriginPath(next) {
  if (!next || !next.startsWith("/")) return null;
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin ? url.pathname + url.search + url.hash : null;
  } catch (err) {
    return null;
  }
}
