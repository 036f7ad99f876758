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

Z.errorText = async function (response) {
  try {
    const body = await response.json();
    if (Array.isArray(body.detail)) return body.detail.map((e) => e.msg || JSON.stringify(e)).join("；");
    return body.detail || response.statusText;
  } catch (_) {
    return `HTTP ${response.status}`;
  }
};

/* JSON API call; throws an Error whose message is the server's own explanation */
Z.api = async function (path, options) {
  const { method = "GET", body, key } = options || {};
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    const error = new Error(await Z.errorText(response));
    error.status = response.status;
    throw error;
  }
  return response.status === 204 ? null : response.json();
};

Z.status = function (message, isError) {
  const node = document.getElementById("status");
  node.textContent = message;
  node.classList.toggle("error", Boolean(isError));
};

Z.toast = function (message) {
  const node = document.getElementById("toast");
  node.textContent = message;
  node.hidden = false;
  clearTimeout(Z.toast.timer);
  Z.toast.timer = setTimeout(() => { node.hidden = true; }, 3000);
};

Z.chineseDate = function (iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return match ? `${match[1]}年${Number(match[2])}月${Number(match[3])}日` : iso;
};

/* issuer《title》（文号，date）：“quote” — the form staff paste into a draft */
Z.citationText = function (c, quote) {
  const details = [c.doc_number, Z.chineseDate(c.date)].filter(Boolean);
  let text = `${c.issuer || ""}《${c.title || c.source}》` + (details.length ? `（${details.join("，")}）` : "");
  if (quote) text += `：“${quote.replace(/\s*\n\s*/g, "").trim()}”`;
  return text;
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
