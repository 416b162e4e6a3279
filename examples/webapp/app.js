// The script of the examples' browser page (see webapp.go): plain
// JavaScript, no build step, no dependency. The session lives in cookies:
// the access and refresh tokens in HttpOnly cookies this script never sees,
// the CSRF value in a cookie it reads and echoes in a header on every
// unsafe request. Whatever the server sends (user agents in the session
// list above all) is written with textContent, never parsed as HTML; the
// page's Content-Security-Policy (Trusted Types) refuses any HTML sink.
"use strict";

// The routes of the examples' HTTP contract: edit them to fit your server.
const routes = {
  login: "/cookie/login", // POST {"username","password"}: sets the cookies
  protected: "/cookie/protected", // GET: the access cookie
  fresh: "/cookie/fresh", // POST: an access cookie from a sign-in at most 5 min ago
  freshLogin: "/cookie/fresh-login", // POST {"username","password"}: a fresh access cookie
  refresh: "/cookie/session/refresh", // POST: the refresh cookie
  logout: "/cookie/session/logout", // POST: either cookie
  sessions: "/cookie/sessions", // GET; DELETE /cookie/sessions/{id}; POST /cookie/sessions/revoke-others
};
const csrfCookie = "__Host-csrf_token";
const csrfHeader = "X-CSRF-Token";
const maxLog = 20;

const $ = (id) => document.getElementById(id);

let csrfFromLogin = ""; // the login body's copy, should the cookie be unreadable
let user = ""; // who the session is, from the protected route
let refreshing = null; // the refresh in flight, shared by concurrent callers
let seq = 0;

function readCookie(name) {
  for (const c of document.cookie.split("; ")) {
    const i = c.indexOf("=");
    if (i > 0 && c.slice(0, i) === name) return c.slice(i + 1);
  }
  return "";
}

// send makes one request and answers {status, code, body}: body is the
// parsed JSON or null, code the error code of the library's error body.
// Unsafe methods carry the CSRF header.
async function send(method, path, json) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    const csrf = readCookie(csrfCookie) || csrfFromLogin;
    if (csrf) headers[csrfHeader] = csrf;
  }
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  let r = { status: 0, code: "network_error", body: null };
  try {
    const res = await fetch(path, { method, headers, body, credentials: "same-origin", cache: "no-store", redirect: "error" });
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    r = { status: res.status, code: data && typeof data.error === "string" ? data.error : "", body: data };
  } catch (e) {
    r.body = { message: String(e) };
  }
  logRequest(method, path, r);
  return r;
}

// call is send for the routes that need the session. When the access
// cookie has expired (the browser dropped it: missing_token) it refreshes
// the session once and retries. The page refreshes on demand rather than
// on a timer: one code path, which also survives a laptop's sleep.
async function call(method, path, json) {
  let r = await send(method, path, json);
  if (r.status !== 401 || (r.code !== "missing_token" && r.code !== "expired_token")) return r;
  const rr = await refresh();
  if (rr.status !== 200) return r;
  return send(method, path, json);
}

// refresh rotates the session's tokens: new cookies, same CSRF value.
function refresh() {
  refreshing ??= (async () => {
    const r = await send("POST", routes.refresh);
    if (r.status === 401 || r.status === 403) setState("signed-out", "The session has ended: sign in again.");
    return r;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function messageOf(r) {
  return r.note || (r.body && typeof r.body.message === "string" ? r.body.message : "");
}

function when(s) {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? String(s) : d.toLocaleString();
}

// report shows the outcome of the user's last action.
function report(action, r, note) {
  const el = $("result");
  let text = action + ": " + (r.status === 0 ? "no answer" : r.status) + (r.code ? " " + r.code : "");
  if (note) text += ". " + note;
  el.textContent = text;
  el.dataset.action = action;
  el.dataset.status = String(r.status);
  el.dataset.code = r.code;
  el.dataset.seq = String(++seq);
}

function logRequest(method, path, r) {
  const li = document.createElement("li");
  li.textContent = method + " " + path + " → " + (r.status || "no answer") + (r.code ? " " + r.code : "");
  const log = $("log");
  log.prepend(li);
  while (log.children.length > maxLog) log.lastElementChild.remove();
}

function setState(state, message) {
  document.body.dataset.state = state;
  $("status").textContent = message;
  $("login-form").hidden = state !== "signed-out";
  $("session").hidden = state !== "signed-in";
  if (state !== "signed-in") {
    csrfFromLogin = "";
    user = "";
    showFreshForm(false);
    for (const id of ["user", "scopes", "fresh", "expires"]) $(id).textContent = "";
    $("sessions").replaceChildren();
  }
}

// whoami asks the protected route who the session is.
async function whoami() {
  const r = await call("GET", routes.protected);
  if (r.status === 200 && r.body) {
    const b = r.body;
    user = String(b.user);
    $("user").textContent = user;
    $("scopes").textContent = Array.isArray(b.scopes) && b.scopes.length ? b.scopes.join(" ") : "none";
    $("fresh").textContent = b.fresh ? "yes" : "no";
    $("expires").textContent = when(b.expires_at);
    setState("signed-in", "Signed in as " + b.user + ".");
  } else if (r.status === 401 || r.status === 403) {
    setState("signed-out", "Not signed in.");
  }
  return r;
}

async function login(ev) {
  ev.preventDefault();
  const r = await send("POST", routes.login, { username: $("username").value, password: $("password").value });
  $("password").value = "";
  if (r.status === 200 && r.body) {
    csrfFromLogin = typeof r.body.csrf_token === "string" ? r.body.csrf_token : "";
    await whoami();
  }
  report("POST " + routes.login, r, r.status === 200 ? "" : messageOf(r));
}

async function callProtected() {
  const r = await whoami();
  report("GET " + routes.protected, r, messageOf(r));
}

async function callFresh() {
  const r = await call("POST", routes.fresh);
  let note = messageOf(r);
  if (r.code === "insufficient_user_authentication") {
    // The access cookie comes from a refresh, or from a sign-in too long
    // ago: the password again makes it fresh, in the same session.
    note = "This route needs a recent sign-in: confirm your password below, then try again.";
    showFreshForm(true);
  }
  report("POST " + routes.fresh, r, note);
}

// showFreshForm shows or hides the password prompt of the fresh re-login.
// The username, for password managers, is the session's user.
function showFreshForm(show) {
  $("fresh-form").hidden = !show;
  $("fresh-username").value = user;
  $("fresh-password").value = "";
  if (show) $("fresh-password").focus();
}

// freshLogin sends the password again: the server checks it against the
// session's user and sets a fresh access cookie for the same session.
async function freshLogin(ev) {
  ev.preventDefault();
  const r = await call("POST", routes.freshLogin, { username: user, password: $("fresh-password").value });
  $("fresh-password").value = "";
  let note = messageOf(r);
  if (r.status === 200) {
    showFreshForm(false);
    await whoami();
    note = "Fresh sign-in confirmed: the fresh-only route works again.";
  }
  report("POST " + routes.freshLogin, r, note);
}

async function refreshNow() {
  const r = await refresh();
  if (r.status === 200) await whoami();
  report("POST " + routes.refresh, r, messageOf(r));
}

async function logout() {
  const r = await send("POST", routes.logout);
  // Every answer but a store failure expires the cookies: the browser is
  // signed out either way, and on 204 the session has ended on the server.
  if (r.status !== 0 && r.status !== 503) {
    setState("signed-out", r.status === 204 ? "Signed out: the session has ended." : "Signed out.");
  }
  report("POST " + routes.logout, r, messageOf(r));
}

async function loadSessions() {
  const r = await call("GET", routes.sessions);
  const ul = $("sessions");
  ul.replaceChildren();
  if (r.status !== 200 || !r.body || !Array.isArray(r.body.sessions)) return r;
  for (const s of r.body.sessions) {
    const li = document.createElement("li");
    if (s.current) li.dataset.current = "true";
    const parts = [s.user_agent || "unknown device"];
    if (s.ip) parts.push(s.ip);
    if (s.label) parts.push(s.label);
    parts.push("signed in " + when(s.created_at), "last used " + when(s.last_used_at));
    if (s.current) parts.push("this browser");
    const what = document.createElement("span");
    what.className = "device";
    what.textContent = parts.join(" · ");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = s.current ? "Sign out here" : "Sign out";
    b.addEventListener("click", () => revokeSession(String(s.id), Boolean(s.current)));
    li.append(what, " ", b);
    ul.append(li);
  }
  r.note = r.body.sessions.length + " sessions";
  return r;
}

async function listSessions() {
  const r = await loadSessions();
  report("GET " + routes.sessions, r, messageOf(r));
}

async function revokeSession(id, current) {
  const path = routes.sessions + "/" + encodeURIComponent(id);
  const r = await call("DELETE", path);
  if (r.status === 204 && current) setState("signed-out", "This browser's session has ended.");
  else if (r.status === 204) await loadSessions();
  report("DELETE " + routes.sessions + "/{id}", r, messageOf(r));
}

async function revokeOthers() {
  const r = await call("POST", routes.sessions + "/revoke-others");
  if (r.status === 204) await loadSessions();
  report("POST " + routes.sessions + "/revoke-others", r, messageOf(r));
}

function init() {
  $("login-form").addEventListener("submit", login);
  $("call-protected").addEventListener("click", callProtected);
  $("call-fresh").addEventListener("click", callFresh);
  $("fresh-form").addEventListener("submit", freshLogin);
  $("fresh-cancel").addEventListener("click", () => showFreshForm(false));
  $("refresh").addEventListener("click", refreshNow);
  $("logout").addEventListener("click", logout);
  $("list-sessions").addEventListener("click", listSessions);
  $("revoke-others").addEventListener("click", revokeOthers);
  // The CSRF cookie lives as long as the refresh cookie: with it there may
  // be a session to resume, refreshed if its access cookie has expired.
  if (readCookie(csrfCookie)) {
    setState("checking", "Checking the session…");
    whoami().then((r) => {
      if (document.body.dataset.state === "checking") {
        setState("signed-out", "The session could not be checked (" + (r.status || "no answer") + "): reload to try again.");
      }
    });
  } else {
    setState("signed-out", "Not signed in.");
  }
}

init();
