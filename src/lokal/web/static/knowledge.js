// Knowledge bases: create, drop files or bind a folder, sync with progress, search raw chunks.
"use strict";
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

