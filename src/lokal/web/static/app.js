// lokal's web UI: plain JavaScript over the public APIs (Ollama's, OpenAI's and lokal's own).
// Model text is only ever rendered through md.render (DOM nodes, never innerHTML).
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

// ---------------------------------------------------------------- chat
async function loadModels() {
  const { models } = await getJSON("/api/tags");
  const select = $("#model"), chosen = select.value;
  select.replaceChildren(...models.map((m) => { const o = node("option", m.name); o.value = m.name; return o; }));
  if (chosen && models.some((m) => m.name === chosen)) select.value = chosen;
  if (state.conversation?.model && models.some((m) => m.name === state.conversation.model)) select.value = state.conversation.model;
}

async function loadConversations() {
  const { conversations } = await getJSON("/api/conversations");
  $("#conversations").replaceChildren(...conversations.map((c) => {
    const li = node("li", c.title, state.conversation?.id === c.id ? "active" : "");
    li.dataset.id = c.id;
    li.addEventListener("click", () => openConversation(c.id).catch(report));
    return li;
  }));
}

async function openConversation(id) {
  state.conversation = await getJSON(`/api/conversations/${id}`);
  const c = state.conversation;
  $("#chat-title").textContent = c.title;
  if (c.model) $("#model").value = c.model;
  $("#system").value = c.system || "";
  $("#temperature").value = c.options.temperature ?? "";
  $("#num-predict").value = c.options.num_predict ?? "";
  document.querySelectorAll("#chat-bases input").forEach((box) => { box.checked = c.knowledge.includes(box.value); });
  renderMessages();
  await loadConversations();
}

function formSettings() {
  const options = {};
  if ($("#temperature").value !== "") options.temperature = Number($("#temperature").value);
  if ($("#num-predict").value !== "") options.num_predict = Number($("#num-predict").value);
  const knowledge = [...document.querySelectorAll("#chat-bases input:checked")].map((b) => b.value);
  return { model: $("#model").value, system: $("#system").value, options, knowledge };
}

async function ensureConversation() {
  if (!state.conversation) {
    const created = await getJSON("/api/conversations", { method: "POST", json: formSettings() });
    await openConversation(created.id);
  }
  return state.conversation;
}

async function saveSettings() {
  if (!state.conversation) return;
  Object.assign(state.conversation, await getJSON(`/api/conversations/${state.conversation.id}`, {
    method: "PATCH", json: formSettings() }));
}
["#model", "#system", "#temperature", "#num-predict"].forEach((s) => $(s).addEventListener("change", () => saveSettings().catch(report)));
$("#chat-bases").addEventListener("change", () => saveSettings().catch(report));

function citationList(citations) {
  const box = node("div", undefined, "citations");
  box.append(node("span", "Sources:"));
  citations.forEach((c) => {
    const where = `${c.file.split("/").pop()}${c.page ? `, page ${c.page}` : ""}${c.heading ? `, ${c.heading}` : ""}`;
    box.append(button(`[${c.index}] ${where}`, () => openPassage(c).catch(report), "citation"));
  });
  return box;
}

async function openPassage(citation) {
  const passage = await getJSON(`/api/knowledge/${encodeURIComponent(citation.knowledge)}/chunks/${citation.chunk_id}`);
  $("#dialog-title").textContent = passage.file.split("/").pop();
  $("#dialog-meta").textContent = [passage.page ? `page ${passage.page}` : "", passage.heading || "", passage.file]
    .filter(Boolean).join(" · ");
  $("#dialog-text").textContent = passage.text;
  $("#dialog").showModal();
}

function messageView(message, index, last) {
  const box = node("div", undefined, `message ${message.role}`);
  const body = node("div", undefined, "body");
  body.append(md.render(message.content));
  box.append(body);
  if (message.citations?.length) box.append(citationList(message.citations));
  if (message.role === "assistant") {
    const tools = node("div", undefined, "tools");
    if (message.stats?.tokens_per_second) tools.append(node("span", `${message.stats.tokens_per_second.toFixed(1)} tok/s`, "stat"));
    if (message.stats?.stopped) tools.append(node("span", "stopped", "stat"));
    tools.append(button("Copy", () => navigator.clipboard.writeText(message.content), "ghost small"));
    if (last) tools.append(button("Regenerate", () => regenerate().catch(report), "ghost small"));
    box.append(tools);
  }
  return box;
}

function renderMessages() {
  const messages = state.conversation?.messages || [];
  $("#messages").replaceChildren(...messages.map((m, i) => messageView(m, i, i === messages.length - 1)));
  $("#messages").scrollTop = $("#messages").scrollHeight;
}

async function send(text) {
  const conversation = await ensureConversation();
  await saveSettings();
  const message = await getJSON(`/api/conversations/${conversation.id}/messages`, { method: "POST", json: { role: "user", content: text } });
  conversation.messages.push(message);
  if (conversation.title === "New chat") {
    Object.assign(conversation, await getJSON(`/api/conversations/${conversation.id}`, { method: "PATCH", json: { title: text.slice(0, 48) } }));
    $("#chat-title").textContent = conversation.title;
    loadConversations();
  }
  renderMessages();
  await answer();
}

async function answer() {
  const c = state.conversation;
  const messages = [...(c.system ? [{ role: "system", content: c.system }] : []), ...c.messages.map(({ role, content }) => ({ role, content }))];
  const body = { model: $("#model").value, messages, stream: true, options: c.options };
  if (c.knowledge.length) body.knowledge = { bases: c.knowledge, top_k: 4 };
  const reply = { role: "assistant", content: "", citations: null, stats: null };
  const view = messageView(reply, 0, false);
  $("#messages").append(view);
  state.controller = new AbortController();
  $("#send").hidden = true; $("#stop").hidden = false;
  try {
    const response = await api("/api/chat", { method: "POST", json: body, signal: state.controller.signal });
    for await (const chunk of lines(response)) {
      if (chunk.error) throw new Error(chunk.error);
      reply.content += chunk.message?.content || "";
      view.querySelector(".body").replaceChildren(md.render(reply.content));
      $("#messages").scrollTop = $("#messages").scrollHeight;
      if (chunk.done) {
        reply.citations = chunk.citations || null;
        reply.stats = { tokens: chunk.eval_count, tokens_per_second: chunk.eval_duration ? chunk.eval_count / (chunk.eval_duration / 1e9) : 0 };
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") { view.remove(); $("#send").hidden = false; $("#stop").hidden = true; throw error; }
    reply.stats = { stopped: true };
  } finally {
    state.controller = null;
    $("#send").hidden = false; $("#stop").hidden = true;
  }
  const saved = await getJSON(`/api/conversations/${c.id}/messages`, { method: "POST", json: reply });
  c.messages.push(saved);
  renderMessages();
}

async function regenerate() {
  const c = state.conversation, last = c.messages[c.messages.length - 1];
  if (!last || last.role !== "assistant") return;
  await api(`/api/conversations/${c.id}/messages/${last.id}`, { method: "DELETE" });
  c.messages.pop();
  renderMessages();
  await answer();
}

$("#composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("#prompt").value.trim();
  if (!text || state.controller) return;
  $("#prompt").value = "";
  send(text).catch(report);
});
$("#prompt").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); $("#composer").requestSubmit(); }
});
$("#stop").addEventListener("click", () => state.controller?.abort());
$("#new-chat").addEventListener("click", () => {
  state.conversation = null; $("#chat-title").textContent = ""; renderMessages(); loadConversations(); $("#prompt").focus();
});
$("#rename").addEventListener("click", async () => {
  if (!state.conversation) return;
  const title = prompt("Rename conversation", state.conversation.title);
  if (!title) return;
  await getJSON(`/api/conversations/${state.conversation.id}`, { method: "PATCH", json: { title } }).catch(report);
  await openConversation(state.conversation.id);
});
$("#delete-chat").addEventListener("click", async () => {
  if (!state.conversation || !confirm(`Delete "${state.conversation.title}"?`)) return;
  await api(`/api/conversations/${state.conversation.id}`, { method: "DELETE" }).catch(report);
  state.conversation = null; $("#chat-title").textContent = ""; renderMessages(); loadConversations();
});

// ---------------------------------------------------------------- knowledge
async function loadBases() {
  const { knowledge } = await getJSON("/api/knowledge");
  $("#kb-list").replaceChildren(...knowledge.map((b) => {
    const li = node("li", `${b.name} · ${b.documents} files`, state.base === b.name ? "active" : "");
    li.addEventListener("click", () => openBase(b.name).catch(report));
    return li;
  }));
  const chosen = state.conversation?.knowledge || [];
  $("#chat-bases").replaceChildren(...knowledge.map((b) => {
    const label = node("label", undefined, "check"), box = node("input");
    box.type = "checkbox"; box.value = b.name; box.checked = chosen.includes(b.name);
    label.append(box, document.createTextNode(` ${b.name}`));
    return label;
  }));
  if (!knowledge.length) $("#chat-bases").append(node("span", "No knowledge bases yet.", "meta"));
}

async function openBase(name) {
  state.base = name;
  const base = await getJSON(`/api/knowledge/${encodeURIComponent(name)}`);
  $("#kb-detail").hidden = false;
  $("#kb-title").textContent = `${base.name} — ${base.documents} files, ${base.chunks} chunks`;
  $("#kb-docs tbody").replaceChildren(...base.files.map((d) => {
    const row = node("tr");
    row.append(node("td", d.path.split("/").pop()), node("td", d.status === "ok" ? "ok" : `${d.status}: ${d.error}`, d.status === "ok" ? "" : "error"),
      node("td", String(d.chunks)));
    return row;
  }));
  await loadBases();
}

async function syncBase() {
  const name = state.base;
  const response = await api(`/api/knowledge/${encodeURIComponent(name)}/sync`, { method: "POST", json: { stream: true } });
  for await (const progress of lines(response)) {
    $("#kb-progress").max = Math.max(1, progress.files_total);
    $("#kb-progress").value = progress.files_done;
    $("#kb-status").textContent = progress.done
      ? `synced: ${progress.added.length} added, ${progress.updated.length} updated, ${progress.removed.length} removed`
        + (Object.keys(progress.problems).length ? `, ${Object.keys(progress.problems).length} skipped` : "")
      : `${progress.files_done}/${progress.files_total} files, ${progress.chunks_embedded} chunks embedded`;
  }
  await openBase(name);
}

async function uploadFiles(files) {
  if (!state.base) return;
  for (const file of files) {
    $("#kb-status").textContent = `uploading ${file.name}…`;
    await api(`/api/knowledge/${encodeURIComponent(state.base)}/files/${encodeURIComponent(file.name)}`, { method: "PUT", body: file });
  }
  await syncBase();
}

$("#kb-create").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("#kb-name").value.trim();
  try { await getJSON("/api/knowledge", { method: "POST", json: { name } }); $("#kb-name").value = ""; await openBase(name); } catch (e) { report(e); }
});
const zone = $("#dropzone");
zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
zone.addEventListener("dragleave", () => zone.classList.remove("over"));
zone.addEventListener("drop", (event) => { event.preventDefault(); zone.classList.remove("over"); uploadFiles([...event.dataTransfer.files]).catch(report); });
$("#kb-files").addEventListener("change", (event) => uploadFiles([...event.target.files]).catch(report));
$("#kb-folder").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await getJSON(`/api/knowledge/${encodeURIComponent(state.base)}/folders`, { method: "POST", json: { path: $("#kb-folder-path").value } });
    await syncBase();
  } catch (e) { report(e); }
});
$("#kb-sync").addEventListener("click", () => syncBase().catch(report));
$("#kb-delete").addEventListener("click", async () => {
  if (!confirm(`Delete knowledge base ${state.base}? Its files on disk stay.`)) return;
  await api(`/api/knowledge/${encodeURIComponent(state.base)}`, { method: "DELETE" }).catch(report);
  state.base = null; $("#kb-detail").hidden = true; loadBases();
});
$("#kb-search").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const { results } = await getJSON(`/api/knowledge/${encodeURIComponent(state.base)}/search`, { method: "POST", json: { query: $("#kb-query").value } });
    $("#kb-results").replaceChildren(...results.map((r) => {
      const li = node("li");
      li.append(node("strong", `${r.file.split("/").pop()}${r.page ? `, page ${r.page}` : ""}${r.heading ? ` › ${r.heading}` : ""}`),
        node("span", ` score ${r.score.toFixed(4)}`, "meta"), node("p", r.text));
      return li;
    }));
  } catch (e) { report(e); }
});

// ---------------------------------------------------------------- models
async function contextOf(name) {
  const info = (await getJSON("/api/show", { method: "POST", json: { model: name } })).model_info || {};
  const key = Object.keys(info).find((k) => k.endsWith(".context_length"));
  return key ? String(info[key]) : "–";
}

async function loadModelTable() {
  const [{ models }, { models: loaded }] = await Promise.all([getJSON("/api/tags"), getJSON("/api/ps")]);
  $("#models tbody").replaceChildren(...models.map((m) => {
    const row = node("tr"), context = node("td", "…");
    row.append(node("td", m.name), node("td", size(m.size)), node("td", m.details.quantization_level || "–"),
      node("td", m.details.family || "–"), context,
      node("td"));
    row.lastChild.append(button("Details", () => showModel(m.name).catch(report), "ghost small"),
      button("Delete", () => deleteModel(m.name).catch(report), "ghost small danger"));
    contextOf(m.name).then((c) => { context.textContent = c; }).catch(() => { context.textContent = "–"; });
    return row;
  }));
  $("#loaded tbody").replaceChildren(...loaded.map((m) => {
    const row = node("tr");
    row.append(node("td", m.name), node("td", size(m.size)), node("td", new Date(m.expires_at).toLocaleString()), node("td"));
    row.lastChild.append(button("Unload", async () => {
      await api("/api/generate", { method: "POST", json: { model: m.name, keep_alive: 0 } }).catch(report); loadModelTable();
    }, "ghost small"));
    return row;
  }));
  if (!loaded.length) {
    const row = node("tr"), cell = node("td", "no model is loaded", "meta");
    cell.colSpan = 4;
    row.append(cell);
    $("#loaded tbody").append(row);
  }
}

async function showModel(name) {
  const info = await getJSON("/api/show", { method: "POST", json: { model: name } });
  $("#dialog-title").textContent = name;
  $("#dialog-meta").textContent = `${info.details.family || ""} ${info.details.parameter_size || ""} ${info.details.quantization_level || ""}`;
  $("#dialog-text").textContent = `TEMPLATE\n${info.template}\n\nPARAMETERS\n${info.parameters || "(none)"}\n\nLICENSE\n${info.license || "(none)"}`;
  $("#dialog").showModal();
}

async function deleteModel(name) {
  if (!confirm(`Delete ${name}?`)) return;
  await api("/api/delete", { method: "DELETE", json: { model: name } });
  await Promise.all([loadModelTable(), loadModels()]);
}

$("#pull").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("#pull-name").value.trim();
  $("#pull-progress").value = 0;
  try {
    const response = await api("/api/pull", { method: "POST", json: { model: name, stream: true } });
    for await (const event of lines(response)) {
      if (event.error) throw new Error(event.error);
      if (event.total) $("#pull-progress").value = Math.floor((100 * (event.completed || 0)) / event.total);
      $("#pull-status").textContent = event.status === "success" ? `${name}: done` : event.status;
      if (event.status === "success") $("#pull-progress").value = 100;
    }
    await Promise.all([loadModelTable(), loadModels()]);
  } catch (e) { $("#pull-status").textContent = `failed: ${e.message}`; }
});

start();
