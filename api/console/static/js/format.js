// Formatting and safe DOM building. Names and every other string from the API are user data:
// they go into the page as text nodes (el(), text()), never as HTML.

import { currentLanguage } from "./i18n.js";

export const TIME_ZONE = "Asia/Shanghai";

const UNITS = {
  "zh-Hant": { s: "秒", m: "分", h: "小時", d: "天", sep: " " },
  "zh-Hans": { s: "秒", m: "分", h: "小时", d: "天", sep: " " },
  en: { s: "s", m: "min", h: "h", d: "d", sep: " " },
};

// How long ms milliseconds is, in at most two units: "45 秒", "5 分", "2 小時 5 分", "3 天 2 小時".
export function elapsed(ms, lang = currentLanguage()) {
  const u = UNITS[lang] ?? UNITS["zh-Hant"];
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const part = (n, unit) => `${n}${lang === "en" ? " " : ""}${unit}`;
  if (seconds < 60) return part(seconds, u.s);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return part(minutes, u.m);
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return [part(hours, u.h), minutes % 60 ? part(minutes % 60, u.m) : ""].filter(Boolean).join(u.sep);
  const days = Math.floor(hours / 24);
  return [part(days, u.d), hours % 24 ? part(hours % 24, u.h) : ""].filter(Boolean).join(u.sep);
}

// Time since an ISO instant, as elapsed() says it.
export function since(iso, now = Date.now(), lang = currentLanguage()) {
  return elapsed(now - Date.parse(iso), lang);
}

// "2026-11-30 14:05" in Asia/Shanghai (seconds too with {seconds: true}).
export function dateTime(iso, { seconds = false } = {}) {
  if (!iso) return "";
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: TIME_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: seconds ? "2-digit" : undefined,
    hourCycle: "h23",
  }).formatToParts(new Date(iso));
  const get = (type) => parts.find((p) => p.type === type)?.value ?? "";
  const time = `${get("hour")}:${get("minute")}${seconds ? `:${get("second")}` : ""}`;
  return `${get("year")}-${get("month")}-${get("day")} ${time}`;
}

// A <input type="datetime-local"> value for a Date, in Asia/Shanghai: "2026-11-30T14:05".
export function localInput(date = new Date()) {
  return dateTime(date.toISOString()).replace(" ", "T");
}

// A datetime-local value (Asia/Shanghai, as the console shows every time) as the API takes
// it, with its offset; "" stays "" (the API names the field).
export function fromLocalInput(value) {
  if (!value) return "";
  return `${value.length === 16 ? `${value}:00` : value}+08:00`;
}

// The current month in Asia/Shanghai, "YYYY-MM".
export function currentMonth(now = new Date()) {
  return dateTime(now.toISOString()).slice(0, 7);
}

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// An element: el("a", {href: "#/x", class: "c", onclick: fn, dataset: {id}}, "text", child, …).
// Children are nodes or strings (text nodes); null/false children are skipped.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (name === "class") {
      node.className = value;
    } else if (name === "text") {
      node.textContent = value;
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replace a node's children.
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}
