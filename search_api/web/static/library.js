/* 文档库: index status, the document list (find, filter, sort, page), uploads and deletions.
   Uploads and deletions go with the page's sign-in (the session cookie, search_api.sessions); what the
   signed-in key may do is asked of the server before anyone tries. Every chosen file is listed at
   once and goes 排队 -> 索引中 -> 完成 / 失败. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const LIMIT = 20;
  const MAX_FILES = 20;  // per request, as the server's default limit
  const ROLE_WORDS = { read: "只能检索", write: "可上传、可更正", admin: "可上传、可更正、可删除" };
  const listForm = $("list-form");
  const rows = $("doc-rows");
  const uploads = $("uploads");
  let offset = 0;
  let me = null;  // what the signed-in key may do (GET /web/api/whoami)
  let listFailed = false;  // the status line says the list did not load (cleared once it does)

  function canUpload() { return Boolean(me && me.uploads && (me.role === "write" || me.role === "admin")); }

  /* what the page says about uploads before anyone tries one */
  async function showAccess() {
    const state = Z.clear($("key-state"));
    try {
      me = await Z.api("/web/api/whoami");
    } catch (error) {
      Z.fail("无法确认上传权限：", error);
      return;
    }
    $("uploads-off").hidden = me.uploads;
    for (const id of ["files", "upload-button"]) $(id).disabled = !canUpload();
    if (!me.uploads) return;
    const signIn = Z.el("a", { href: "/web/signin?next=" + encodeURIComponent("/web/library") }, "登录");
    if (!me.role) state.append("上传和删除需要登录：请先", signIn, "。");
    else if (!canUpload()) state.append(`已登录：${me.name}（${ROLE_WORDS[me.role]}）。如需上传，请用有上传权限的密钥`, signIn, "。");
    else state.append(`已登录：${me.name}（${ROLE_WORDS[me.role]}）`);
  }

  async function loadStatus() {
    const list = Z.clear($("index-status"));
    try {
      const ready = await Z.api("/readyz");
      for (const [label, value] of [["模型", ready.model], ["文档数", ready.documents], ["段落数", ready.chunks],
        ["最后构建", ready.built_at ? Z.chineseDateTime(ready.built_at) : "未知"], ["版本", ready.generation]]) {
        list.append(Z.el("dt", {}, label), Z.el("dd", { "data-field": label }, value));
      }
    } catch (error) {
      list.append(Z.el("dt", {}, "状态"), Z.el("dd", {}, ...Z.explained("索引不可用：", error)));
    }
  }

  async function remove(doc) {
    const name = doc.title || doc.source;
    if (!confirm(`确定从索引中删除《${name}》吗？`)) return;
    try {
      await Z.api(`/documents/${encodeURIComponent(doc.doc_id)}`, { method: "DELETE" });
      Z.toast(`已删除《${name}》`);
      await Promise.all([loadList(), loadStatus()]);
    } catch (error) {
      Z.fail("删除失败：", error);
    }
  }

  async function loadList() {
    Z.loadFacets(listForm).catch(() => {});
    const [sort, order] = listForm.elements.sort.value.split(":");
    const query = { ...Z.filterValues(listForm), sort, order, offset, limit: LIMIT };
    const words = listForm.elements.q.value.trim();
    if (words) query.q = words;
    try {
      const page = await Z.api("/web/api/library?" + new URLSearchParams(query));
      Z.clear(rows);
      for (const doc of page.documents) {
        const title = doc.title || doc.source;
        rows.append(Z.el("tr", { "data-doc-id": doc.doc_id },
          Z.el("td", {}, Z.el("a", { href: `/web/doc/${encodeURIComponent(doc.doc_id)}` }, title)),
          Z.el("td", {}, doc.doc_number || ""), Z.el("td", {}, doc.issuer || ""),
          Z.el("td", {}, Z.chineseDate(doc.date) || ""), Z.el("td", {}, doc.doc_type || ""),
          Z.el("td", { className: "uploaded" }, doc.uploaded_at ? Z.chineseDateTime(doc.uploaded_at) : "目录索引"),
          Z.el("td", { className: "uploader" }, doc.uploaded_by || "—"),
          Z.el("td", {}, Z.el("button", { type: "button", "aria-label": `删除《${title}》`, onclick: () => remove(doc) }, "删除"))));
      }
      const last = Math.min(page.total, offset + page.documents.length);
      $("page-info").textContent = page.total ? `第 ${offset + 1}–${last} 份，共 ${page.total} 份` : "没有符合条件的文档";
      $("prev").disabled = offset === 0;
      $("next").disabled = last >= page.total;
      if (listFailed) Z.status("");  // only its own failure: an upload's summary stays
      listFailed = false;
    } catch (error) {
      Z.clear(rows);
      $("page-info").textContent = "";
      Z.fail("文档列表未能加载：", error);
      listFailed = true;
    }
  }

  /* ------------------------------------------------------------------ uploads */

  const DONE = { added: "完成", unchanged: "完成（此前已有相同文件）", replaced: "完成（替换了同名文件）", deleted: "完成（恢复了已删除的文件）" };

  function fileRow(file) {
    const progress = Z.el("progress", { max: "1", value: "0", "aria-label": `${file.name} 进度` });
    const outcome = Z.el("span", { className: "outcome" }, "排队（等待上传）");
    const row = Z.el("li", { "data-file": file.name, "data-state": "queued" }, Z.el("span", { className: "file" }, file.name), progress, outcome);
    uploads.append(row);
    return { row, progress, outcome };
  }

  function setState(entry, state, words, failure) {
    entry.row.dataset.state = state;
    entry.progress.className = state;
    if (state === "indexing") entry.progress.removeAttribute("value");  // indeterminate: no fake percentage
    if (state === "done" || state === "failed") entry.progress.value = 1;
    Z.clear(entry.outcome).append(...(failure ? Z.explained(words, failure) : [words]));
    entry.outcome.className = "outcome " + ({ done: "ok", failed: "bad" }[state] || "");
  }

  function send(files, entries) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      const data = new FormData();
      for (const file of files) data.append("files", file, file.name);
      request.open("POST", "/documents");
      request.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        for (const entry of entries) entry.progress.value = event.loaded / event.total;
      });
      request.addEventListener("load", () => {
        let body = null;
        try { body = JSON.parse(request.responseText); } catch (_) { /* not JSON: said below */ }
        resolve({ status: request.status, body });
      });
      request.addEventListener("error", () => reject(Z.failure(Z.words.network, "XMLHttpRequest: network error", 0)));
      request.send(data);
    });
  }

  async function waitForJob(job, entries) {
    for (;;) {
      const indexing = job.state === "running";
      for (const [i, entry] of entries.entries()) {
        if (job.files[i] && job.files[i].status === "pending") {
          setState(entry, indexing ? "indexing" : "queued", indexing ? "索引中…" : "排队（等待索引）");
        }
      }
      if (job.state === "done" || job.state === "failed") return job;
      await new Promise((resolve) => setTimeout(resolve, 400));
      job = await Z.api(`/jobs/${encodeURIComponent(job.job_id)}`);
    }
  }

  function finish(job, entries) {
    job.files.forEach((outcome, i) => {
      const entry = entries[i];
      if (!entry) return;
      if (DONE[outcome.status]) {
        setState(entry, "done", `${DONE[outcome.status]}：${outcome.title || outcome.file}`);
      } else {
        const words = outcome.message || job.message || "未编入索引。";
        setState(entry, "failed", "失败：", Z.failure(words, outcome.reason || job.error || outcome.status, 0));
      }
    });
  }

  async function uploadBatch(files, entries) {
    for (const entry of entries) setState(entry, "uploading", "上传中…");
    try {
      const { status, body } = await send(files, entries);
      if (status !== 202 || !body) {
        const detail = body && body.detail !== undefined ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : "";
        const failure = Z.failure((body && body.message) || Z.words.not_json, `HTTP ${status}：${detail}`, status);
        for (const entry of entries) setState(entry, "failed", "失败：", failure);
        return;
      }
      finish(await waitForJob(body, entries), entries);
    } catch (error) {
      for (const entry of entries) if (!["done", "failed"].includes(entry.row.dataset.state)) setState(entry, "failed", "失败：", error);
    }
  }

  async function upload(event) {
    event.preventDefault();
    const files = [...$("files").files];
    if (!files.length) return;
    if (!canUpload()) { Z.status("上传需要用有上传权限的密钥登录。", true); return; }
    Z.clear(uploads);
    Z.status("");
    const entries = files.map(fileRow);  // every file is listed before the first is sent
    $("upload-button").disabled = true;
    try {
      for (let i = 0; i < files.length; i += MAX_FILES) {
        await uploadBatch(files.slice(i, i + MAX_FILES), entries.slice(i, i + MAX_FILES));
      }
    } finally {
      $("upload-button").disabled = false;
    }
    event.target.reset();
    $("chosen").textContent = "未选择文件";
    const failed = entries.filter((e) => e.row.dataset.state === "failed").length;
    Z.status(`上传完成：${files.length - failed} 个文件已编入索引` + (failed ? `，${failed} 个失败（原因见上）。` : "。"));
    await Promise.all([loadList(), loadStatus()]);
  }

  $("files").addEventListener("change", () => {
    const files = [...$("files").files];
    $("chosen").textContent = files.length ? `已选 ${files.length} 个文件：${files.map((f) => f.name).join("、")}` : "未选择文件";
  });
  $("upload-form").addEventListener("submit", upload);
  let typing = null;
  listForm.elements.q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => { offset = 0; loadList(); }, 300); });
  listForm.addEventListener("submit", (event) => { event.preventDefault(); offset = 0; loadList(); });
  for (const select of listForm.querySelectorAll("select")) select.addEventListener("change", () => { offset = 0; loadList(); });
  $("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); loadList(); });
  $("next").addEventListener("click", () => { offset += LIMIT; loadList(); });

  showAccess();
  loadStatus();
  loadList();
})();
