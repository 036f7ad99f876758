/* Shared helpers of the staff page. Document text only ever enters the page as text nodes
   (el() and highlighted() never parse HTML), so markup inside a document is shown, never run. */
"use strict";

const Z = {};

Z.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "onclick") node.addEventListener("click", value);
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

Z.clear = function (node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
};

/* text with [start, end) ranges wrapped in <mark> */
Z.highlighted = function (text, ranges) {
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const [start, end] of [...(ranges || [])].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start) continue;
    fragment.append(document.createTextNode(text.slice(at, start)), Z.el("mark", {}, text.slice(start, end)));
    at = end;
  }
  fragment.append(document.createTextNode(text.slice(at)));
  return fragment;
};

/* the words for failures only the browser sees, from search_api/messages.py (base.html) */
Z.words = JSON.parse(document.body.dataset.words || "{}");

/* an Error whose message is for staff (Chinese) and whose detail is the technical reason */
Z.failure = function (message, detail, status) {
  const error = new Error(message);
  error.detail = detail || "";
  error.status = status || 0;
  return error;
};

/* the failure a non-2xx response stands for: the server's words (message) and its reason (detail) */
Z.responseFailure = async function (response) {
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON: a proxy's page, a crash */ }
  const detail = body && body.detail !== undefined
    ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : response.statusText;
  const message = (body && body.message) || Z.words.not_json;
  return Z.failure(message, `HTTP ${response.status}：${detail}`, response.status);
};

/* fetch that turns every failure into Z.failure: no connection, cancelled (error.cancelled), non-2xx */
Z.fetch = async function (path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") {
      const cancelled = Z.failure(Z.words.cancelled, "", 0);
      cancelled.cancelled = true;
      cancelled.superseded = Boolean(init && init.signal && init.signal.superseded);  // a newer request took over
      throw cancelled;
    }
    throw Z.failure(Z.words.network, `${error.name}: ${error.message}`, 0);
  }
  if (!response.ok) throw await Z.responseFailure(response);
  return response;
};

/* JSON API call; throws Z.failure */
Z.api = async function (path, options) {
  const { method = "GET", body, key, signal } = options || {};
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["X-API-Key"] = key;
  const response = await Z.fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch (error) {
    throw Z.failure(Z.words.not_json, String(error), response.status);
  }
};

/* the words of a failure and, folded behind 详情, its technical reason */
Z.explained = function (prefix, error) {
  const parts = [Z.el("span", { className: "error-text" }, (prefix || "") + error.message)];
  if (error.detail) {
    parts.push(Z.el("details", { className: "error-detail" }, Z.el("summary", {}, Z.words.details || "详情"),
      Z.el("code", {}, error.detail)));
  }
  return parts;
};

Z.status = function (message, isError) {
  const node = document.getElementById("status");
  Z.clear(node).append(message || "");
  node.classList.toggle("error", Boolean(isError));
};

/* a failure in the status line: its words, 详情 folded; a cancelled request just says so */
Z.fail = function (prefix, error) {
  if (error.superseded) return;  // the request that replaced it says how it went
  if (error.cancelled) { Z.status(Z.words.cancelled); return; }
  const node = Z.clear(document.getElementById("status"));
  node.append(...Z.explained(prefix, error));
  node.classList.add("error");
};

/* one long request at a time: its button disabled and a 取消 button shown while it runs; a new run
   cancels the one before, so an old answer never lands over a new question */
Z.task = function (button, cancel) {
  let running = null;
  if (cancel) cancel.addEventListener("click", () => { if (running) running.abort(); });
  return async function (work) {
    if (running) { running.signal.superseded = true; running.abort(); }  // its failure is not said
    const mine = running = new AbortController();
    button.disabled = true;
    if (cancel) cancel.hidden = false;
    try {
      return await work(mine.signal);
    } finally {
      if (running === mine) {
        running = null;
        button.disabled = false;
        if (cancel) cancel.hidden = true;
      }
    }
  };
};

Z.toast = function (message) {
  const node = document.getElementById("toast");
  node.textContent = message;
  node.hidden = false;
  clearTimeout(Z.toast.timer);
  Z.toast.timer = setTimeout(() => { node.hidden = true; }, 3000);
};

Z.chineseDate = function (iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  return match ? `${match[1]}年${Number(match[2])}月${Number(match[3])}日` : iso;
};

/* 2024年3月20日 14:05, in the browser's time zone */
Z.chineseDateTime = function (iso) {
  const when = new Date(iso);
  if (!iso || Number.isNaN(when.getTime())) return iso || "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${when.getFullYear()}年${when.getMonth() + 1}月${when.getDate()}日 ${pad(when.getHours())}:${pad(when.getMinutes())}`;
};

/* what staff type as a date (2024年3月20日, 2024-3-20, 2024/03/20, 2024.3.20, 20240320) as YYYY-MM-DD;
   anything else is returned as typed, for the server to refuse in words */
Z.isoDate = function (typed) {
  const text = (typed || "").trim();
  const match = /^(\d{4})\s*[年\-/.]?\s*(\d{1,2})\s*[月\-/.]?\s*(\d{1,2})\s*日?$/.exec(text);
  if (!match) return text;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return text;
  return `${match[1]}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
};

/* issuer《title》（文号，date）：“quote” — the form staff paste into a draft */
Z.citationText = function (c, quote) {
  const details = [c.doc_number, Z.chineseDate(c.date)].filter(Boolean);
  let text = `${c.issuer || ""}《${c.title || c.source}》` + (details.length ? `（${details.join("，")}）` : "");
  if (quote) text += `：“${quote.replace(/\s*\n\s*/g, "").trim()}”`;
  return text;
};

/* hands a fetched file to the browser as a download, named as the server names it; returns the name */
Z.save = async function (response, fallbackName) {
  const named = /filename\*=UTF-8''([^;]+)/.exec(response.headers.get("Content-Disposition") || "");
  const name = named ? decodeURIComponent(named[1]) : fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = Z.el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
};

Z.copy = async function (text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) { /* no clipboard API off a secure origin (http://intranet-host): the old way */
    const area = Z.el("textarea", { "aria-hidden": "true" });
    area.style.position = "fixed";
    area.style.left = "-9999px";
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  Z.toast("已复制引用：" + text.slice(0, 60) + (text.length > 60 ? "…" : ""));
};

Z.viewerHref = function (c, query) {
  const params = new URLSearchParams({ start: c.char_start, end: c.char_end });
  if (query) params.set("q", query);
  return `/web/doc/${encodeURIComponent(c.doc_id)}?${params}`;
};

/* a calibrated confidence in words staff read at a glance: 较高 from 0.7 (or the floor, if higher),
   一般 from the deployment's floor, 较低 below it */
Z.HIGH = 0.7;
Z.confidenceLevel = function (confidence, floor) {
  if (confidence === null || confidence === undefined) return null;
  const low = floor === null || floor === undefined ? 0.5 : floor;
  if (confidence >= Math.max(Z.HIGH, low)) return "较高";
  return confidence >= low ? "一般" : "较低";
};

Z.confidenceBadge = function (confidence, floor, label) {
  const level = Z.confidenceLevel(confidence, floor);
  if (!level) return null;
  const kind = { 较高: "high", 一般: "medium", 较低: "low" }[level];
  return Z.el("span", { className: `confidence ${kind}`, title: `置信度 ${Math.round(confidence * 100)}%` },
    `${label || "相关程度"}：${level}`);
};

/* "nothing reliable found": a plain notice, and the nearest items folded below it */
Z.notFound = function (message, foldLabel, items) {
  const fold = Z.el("details", { className: "nearest" }, Z.el("summary", {}, foldLabel),
    Z.el("ol", { className: "cards" }, ...items));
  return [Z.el("p", { className: "not-found", role: "note" }, message), items.length ? fold : null];
};

/* one quoted passage with its citation: used by search results, answers and precedents */
Z.passageCard = function (passage, options) {
  const { query, heading = true, extra } = options || {};
  const c = passage.citation;
  const meta = Z.el("p", { className: "meta-line" },
    c.doc_number && Z.el("span", { className: "doc-number" }, c.doc_number),
    c.issuer && Z.el("span", { className: "issuer" }, c.issuer),
    c.date && Z.el("span", { className: "date" }, Z.chineseDate(c.date)),
    c.page && Z.el("span", {}, `第 ${c.page} 页`),
    c.ocr && Z.el("span", { className: "badge" }, "OCR"),
    Z.confidenceBadge(passage.confidence, options && options.floor));
  const card = Z.el("li", { className: "card" + (passage.weak ? " weak" : ""), "data-doc-id": c.doc_id,
    "data-start": c.char_start, "data-end": c.char_end },
    heading && Z.el("h2", {}, Z.el("a", { href: Z.viewerHref(c, query) }, c.title || c.source)),
    heading && meta,
    c.section && Z.el("p", { className: "section" }, c.section),
    Z.el("blockquote", { className: "quote" }, Z.highlighted(passage.text, passage.highlights)));
  const actions = Z.el("div", { className: "actions" },
    Z.el("button", { type: "button", className: "copy", onclick: () => Z.copy(Z.citationText(c, passage.text)) }, "复制引用"),
    !heading && Z.el("a", { href: Z.viewerHref(c, query) }, "查看原文"));
  if (extra) actions.append(...extra);
  card.append(actions);
  return card;
};

/* filter selects filled with document counts from /web/api/facets */
Z.filterValues = function (form) {
  const values = {};
  for (const name of ["issuer", "doc_type", "region", "date_from", "date_to"]) {
    const field = form.elements[name];
    if (field && field.value) values[name] = field.value;
  }
  for (const name of ["date_from", "date_to"]) if (values[name]) values[name] = Z.isoDate(values[name]);
  const year = form.elements.year && form.elements.year.value;
  if (year) {
    if (!values.date_from) values.date_from = `${year}-01-01`;
    if (!values.date_to) values.date_to = `${year}-12-31`;
  }
  return values;
};

/* choose a value in a select whose options (facet counts) may not have loaded yet */
Z.choose = function (select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.append(Z.el("option", { value }, value));
  select.value = value || "";
};

Z.loadFacets = async function (form) {
  const counts = await Z.api("/web/api/facets?" + new URLSearchParams(Z.filterValues(form)));
  for (const select of form.querySelectorAll("select[data-facet]")) {
    const chosen = select.value;
    const values = counts.facets[select.dataset.facet] || [];
    Z.clear(select).append(Z.el("option", { value: "" }, "全部"));
    for (const { value, count } of values) select.append(Z.el("option", { value }, `${value}（${count}）`));
    if (chosen && !values.some((v) => v.value === chosen)) select.append(Z.el("option", { value: chosen }, `${chosen}（0）`));
    select.value = chosen;
  }
  return counts;
};
