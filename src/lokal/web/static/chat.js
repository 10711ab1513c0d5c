// Chat: conversations kept server-side, streamed answers, stop, regenerate, citations.
"use strict";
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
  const thought = node("details", undefined, "thinking");
  thought.append(node("summary", "Thinking"), node("div", message.thinking || "", "thought"));
  thought.hidden = !message.thinking;
  box.append(thought);
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
  const reply = { role: "assistant", content: "", thinking: "", citations: null, stats: null };
  const view = messageView(reply, 0, false);
  $("#messages").append(view);
  state.controller = new AbortController();
  $("#send").hidden = true; $("#stop").hidden = false;
  try {
    const response = await api("/api/chat", { method: "POST", json: body, signal: state.controller.signal });
    for await (const chunk of lines(response)) {
      if (chunk.error) throw new Error(chunk.error);
      reply.content += chunk.message?.content || "";
      if (chunk.message?.thinking) {
        reply.thinking += chunk.message.thinking;
        view.querySelector(".thinking").hidden = false;
        view.querySelector(".thought").textContent = reply.thinking;
      }
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

