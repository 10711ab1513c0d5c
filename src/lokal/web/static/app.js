// lokal's web UI, shared part: API calls, sign-in, tabs, theme. chat.js, knowledge.js and models.js
// build on it; model text is only ever rendered through md.render (DOM nodes, never innerHTML).
"use strict";
const $ = (selector) => document.querySelector(selector);
const state = { key: sessionStorage.getItem("lokal-key") || "", conversation: null, controller: null, base: null };

// ---------------------------------------------------------------- API
class Unauthorized extends Error {}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (options.json !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(options.json); }
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) { showSignin("The key was not accepted."); throw new Unauthorized(); }
  if (!response.ok) {
    let message = response.statusText;
    try { const body = await response.json(); message = body.error?.message || body.error || message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}
const getJSON = async (path, options) => (await api(path, options)).json();

async function* lines(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, cut).trim();
      buffer = buffer.slice(cut + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer);
}

function node(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function button(text, onclick, cls) { const b = node("button", text, cls); b.type = "button"; b.addEventListener("click", onclick); return b; }
function report(error) { if (!(error instanceof Unauthorized)) alert(error.message); }
function size(bytes) { return bytes > 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${Math.round(bytes / 1e6)} MB`; }

// ---------------------------------------------------------------- sign-in and views
function showSignin(message) {
  $("#app").hidden = true; $("#signin").hidden = false; $("#signin-error").textContent = message || ""; $("#signin-key").focus();
}

async function start() {
  try { await getJSON("/api/version"); } catch (error) { if (error instanceof Unauthorized) { if (!state.key) $("#signin-error").textContent = ""; return; } }
  $("#signin").hidden = true; $("#app").hidden = false;
  await Promise.all([loadModels(), loadConversations(), loadBases()]);
}

$("#signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("#signin-key").value.trim();
  sessionStorage.setItem("lokal-key", state.key);
  start();
});

document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
  document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
  document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== `view-${tab.dataset.view}`; });
  if (tab.dataset.view === "models") loadModelTable().catch(report);
  if (tab.dataset.view === "knowledge") loadBases().catch(report);
}));

const theme = localStorage.getItem("lokal-theme");
if (theme) document.documentElement.dataset.theme = theme;
$("#theme").addEventListener("click", () => {
  const dark = document.documentElement.dataset.theme ? document.documentElement.dataset.theme !== "dark"
    : !matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  localStorage.setItem("lokal-theme", document.documentElement.dataset.theme);
});
document.addEventListener("DOMContentLoaded", start);  // after chat.js, knowledge.js and models.js
