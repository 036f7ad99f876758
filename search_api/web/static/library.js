/* 文档库: index status, the document list with filters and paging, uploads and deletions.
   The API key is asked once and kept in sessionStorage: it is gone when the browser closes. */
"use strict";

(function () {
  const KEY = "zhengce-api-key";
  const LIMIT = 20;
  const listForm = document.getElementById("list-form");
  const rows = document.getElementById("doc-rows");
  const uploads = document.getElementById("uploads");
  let offset = 0;

  function key() { return sessionStorage.getItem(KEY); }

  function showKeyState() {
    document.getElementById("key-state").textContent = key() ? "已保存本次会话的密钥" : "上传和删除需要 API 密钥";
  }

  async function loadStatus() {
    const list = Z.clear(document.getElementById("index-status"));
    try {
      const ready = await Z.api("/readyz");
      for (const [label, value] of [["模型", ready.model], ["文档数", ready.documents], ["段落数", ready.chunks],
        ["最后构建", ready.built_at ? new Date(ready.built_at).toLocaleString("zh-CN") : "未知"], ["版本", ready.generation]]) {
        list.append(Z.el("dt", {}, label), Z.el("dd", { "data-field": label }, value));
      }
    } catch (error) {
      list.append(Z.el("dt", {}, "状态"), Z.el("dd", {}, "索引不可用：" + error.message));
    }
  }

  async function remove(doc) {
    const name = doc.title || doc.source;
    if (!key()) { Z.status("删除需要 API 密钥：请先在上方保存密钥。", true); document.getElementById("api-key").focus(); return; }
    if (!confirm(`确定从索引中删除《${name}》吗？`)) return;
    try {
      await Z.api(`/documents/${encodeURIComponent(doc.doc_id)}`, { method: "DELETE", key: key() });
      Z.toast(`已删除《${name}》`);
      await Promise.all([loadList(), loadStatus()]);
    } catch (error) {
      Z.status("删除失败：" + error.message, true);
    }
  }

  async function loadList() {
    Z.loadFacets(listForm).catch(() => {});
    const params = new URLSearchParams({ ...Z.filterValues(listForm), offset, limit: LIMIT });
    try {
      const page = await Z.api("/documents?" + params);
      Z.clear(rows);
      for (const doc of page.documents) {
        const title = doc.title || doc.source;
        rows.append(Z.el("tr", { "data-doc-id": doc.doc_id },
          Z.el("td", {}, Z.el("a", { href: `/web/doc/${encodeURIComponent(doc.doc_id)}` }, title)),
          Z.el("td", {}, doc.doc_number || ""), Z.el("td", {}, doc.issuer || ""),
          Z.el("td", {}, Z.chineseDate(doc.date) || ""), Z.el("td", {}, doc.doc_type || ""),
          Z.el("td", {}, Z.el("button", { type: "button", "aria-label": `删除《${title}》`, onclick: () => remove(doc) }, "删除"))));
      }
      const last = Math.min(page.total, offset + page.documents.length);
      document.getElementById("page-info").textContent = page.total ? `第 ${offset + 1}–${last} 份，共 ${page.total} 份` : "没有符合条件的文档";
      document.getElementById("prev").disabled = offset === 0;
      document.getElementById("next").disabled = last >= page.total;
      Z.status("");
    } catch (error) {
      Z.status("文档列表未能加载：" + error.message, true);
    }
  }

  /* per-file outcomes: {indexed, rejected} of a synchronous upload, or a finished job's files */
  const DONE = { added: "已索引", unchanged: "已索引（此前已有相同文件）", replaced: "已索引（替换了同名文件）", deleted: "已索引（恢复了已删除的文件）" };
  function outcomes(body) {
    const found = [];
    for (const item of body.indexed || []) found.push({ ok: true, text: `${DONE[item.status] || "已索引"}：${item.title || item.file}` });
    for (const item of body.rejected || []) found.push({ ok: false, text: `未索引：${item.reason}` });
    for (const item of body.files || []) {
      if (DONE[item.status]) found.push({ ok: true, text: `${DONE[item.status]}：${item.title || item.file}` });
      else found.push({ ok: false, text: `未索引：${item.reason || item.status}` });
    }
    if (body.state === "failed" && !found.length) found.push({ ok: false, text: `未索引：${body.error || "索引任务失败"}` });
    return found;
  }

  async function waitForJob(body) {
    for (;;) {
      const job = await Z.api(`/jobs/${encodeURIComponent(body.job_id)}`, { key: key() });
      if (job.state === "done" || job.state === "failed") return job;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  function send(file, progress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      const data = new FormData();
      data.append("files", file, file.name);
      request.open("POST", "/documents");
      request.setRequestHeader("X-API-Key", key());
      request.upload.addEventListener("progress", (event) => { if (event.lengthComputable) progress.value = event.loaded / event.total; });
      request.addEventListener("load", () => {
        let body = {};
        try { body = JSON.parse(request.responseText); } catch (_) { /* not JSON: reported by status */ }
        resolve({ status: request.status, body });
      });
      request.addEventListener("error", () => reject(new Error("网络错误")));
      request.send(data);
    });
  }

  async function upload(file) {
    const progress = Z.el("progress", { max: "1", value: "0", "aria-label": `${file.name} 上传进度` });
    const outcome = Z.el("span", { className: "outcome" }, "上传中…");
    uploads.append(Z.el("li", { "data-file": file.name }, Z.el("span", { className: "file" }, file.name), progress, outcome));
    try {
      let { status, body } = await send(file, progress);
      progress.value = 1;
      if (status === 202) { outcome.textContent = "正在索引…"; body = await waitForJob(body); status = 200; }
      const found = status === 200 || status === 422 ? outcomes(body) : [];
      if (!found.length) {
        const reasons = { 401: "API 密钥不正确", 403: "服务器未开放上传（未设置 ZHENGCE_API_KEY）", 413: "文件过大" };
        const detail = Array.isArray(body.detail) ? body.detail.map((e) => e.msg).join("；") : body.detail;
        found.push({ ok: false, text: `未索引：${reasons[status] || ""}${detail ? "（" + detail + "）" : ""}` });
      }
      outcome.textContent = found.map((f) => f.text).join("；");
      outcome.className = "outcome " + (found.every((f) => f.ok) ? "ok" : "bad");
    } catch (error) {
      outcome.textContent = "未索引：" + error.message;
      outcome.className = "outcome bad";
    }
  }

  document.getElementById("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = document.getElementById("api-key");
    sessionStorage.setItem(KEY, field.value);
    field.value = "";
    showKeyState();
    Z.toast("密钥已保存，关闭浏览器后失效");
  });

  document.getElementById("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = [...document.getElementById("files").files];
    if (!key()) { Z.status("上传需要 API 密钥：请先保存密钥。", true); document.getElementById("api-key").focus(); return; }
    Z.clear(uploads);
    for (const file of files) await upload(file); // one at a time: each file gets its own outcome
    event.target.reset();
    await Promise.all([loadList(), loadStatus()]);
  });

  for (const select of listForm.querySelectorAll("select")) select.addEventListener("change", () => { offset = 0; loadList(); });
  document.getElementById("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); loadList(); });
  document.getElementById("next").addEventListener("click", () => { offset += LIMIT; loadList(); });

  showKeyState();
  loadStatus();
  loadList();
})();
