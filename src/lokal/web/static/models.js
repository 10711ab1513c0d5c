// Models: list with details, pull with progress, delete, loaded models with unload.
"use strict";
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

