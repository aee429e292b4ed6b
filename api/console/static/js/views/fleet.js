// The fleet (#/fleet): devices offline, low on battery or never heard from, by town; and one
// device (#/fleet/device/{id}): what it is and its last events.

import { ApiError } from "../api.js";
import { dateTime, el, fill, since } from "../format.js";
import { makeT } from "../i18n.js";
import { label, roomName, section, table, tag } from "./parts.js";

const t = makeT({
  "zh-Hant": {
    title: "需要處理的設備", none: "所有設備都在線且電量充足。", stock: "未安裝（庫存）", count: "{n} 台",
    online: "在線", offline_now: "離線", unknown: "未知", battery: "電量", last_seen: "最後訊息",
    elder: "長者", ago: "{time}前", device: "設備 {id}", events: "最近事件", events_none: "沒有事件紀錄。",
    events_hidden: "您的角色不可查看設備事件。", time: "時間", kind: "事件", value: "數值", flags: "標記",
    type: "類型", room: "房間", heartbeat: "心跳間隔", seconds: "{n} 秒", back: "返回設備列表",
    more: "只顯示前 {n} 台。", device_hidden: "您的角色不可查看設備資料。",
  },
  "zh-Hans": {
    title: "需要处理的设备", none: "所有设备都在线且电量充足。", stock: "未安装（库存）", count: "{n} 台",
    online: "在线", offline_now: "离线", unknown: "未知", battery: "电量", last_seen: "最后消息",
    elder: "长者", ago: "{time}前", device: "设备 {id}", events: "最近事件", events_none: "没有事件记录。",
    events_hidden: "您的角色不可查看设备事件。", time: "时间", kind: "事件", value: "数值", flags: "标记",
    type: "类型", room: "房间", heartbeat: "心跳间隔", seconds: "{n} 秒", back: "返回设备列表",
    more: "只显示前 {n} 台。", device_hidden: "您的角色不可查看设备资料。",
  },
  en: {
    title: "Devices needing attention", none: "Every device is online and charged.", stock: "Not installed (stock)", count: "{n} devices",
    online: "Online", offline_now: "Offline", unknown: "Unknown", battery: "Battery", last_seen: "Last message",
    elder: "Elder", ago: "{time} ago", device: "Device {id}", events: "Last events", events_none: "No events recorded.",
    events_hidden: "Your role may not see device events.", time: "Time", kind: "Event", value: "Value", flags: "Flags",
    type: "Type", room: "Room", heartbeat: "Heartbeat interval", seconds: "{n} s", back: "Back to the fleet",
    more: "Only the first {n} are shown.", device_hidden: "Your role may not see the device record.",
  },
});

const LIMIT = 500;
const EVENTS = 50;

export async function render(root, params, ctx) {
  if (params.device_id) return renderDevice(root, params.device_id, ctx);
  const found = await ctx.api("/fleet", { query: { attention: true, limit: LIMIT } });
  const byTown = new Map();
  for (const device of found.items) {
    const town = device.town ?? "";
    if (!byTown.has(town)) byTown.set(town, []);
    byTown.get(town).push(device);
  }
  const towns = [...byTown.keys()].sort((a, b) => (a === "") - (b === "") || a.localeCompare(b, "zh-Hant"));
  const groups = towns.map((town, i) =>
    section(`fleet-town-${i}`, `${town || t("stock")} · ${t("count", { n: byTown.get(town).length })}`, el("ul", { class: "rows" }, byTown.get(town).map((d) => deviceRow(d)))),
  );
  fill(
    root,
    el("h1", {}, t("title")),
    found.items.length ? groups : el("p", { class: "notice" }, t("none")),
    found.next_cursor ? el("p", { class: "notice" }, t("more", { n: LIMIT })) : null,
  );
}

// One device as a row: type, id, room, online, battery, last message, why it needs attention,
// and (unless {home: false}: on the elder's own card) whose home it is in.
export function deviceRow(d, { home = true } = {}) {
  const state = d.online === true ? tag(t("online"), "ok") : d.online === false ? tag(t("offline_now"), "bad") : tag(t("unknown"));
  const reasons = d.attention.filter((a) => !(a === "offline" && d.online === false));
  return el(
    "li",
    { dataset: { device: d.id } },
    el("a", { href: `#/fleet/device/${encodeURIComponent(d.id)}` }, label(d.type)),
    " ",
    el("span", { class: "muted" }, d.id, d.room ? ` · ${roomName(d.room)}` : ""),
    " ",
    state,
    reasons.map((a) => [" ", tag(label(a), "warn")]),
    el(
      "div",
      { class: "muted small" },
      d.battery === null ? null : `${t("battery")} ${d.battery}%`,
      d.last_seen ? ` · ${t("last_seen")} ${dateTime(d.last_seen)} (${t("ago", { time: since(d.last_seen) })})` : "",
      home && d.elder_id ? [" · ", el("a", { href: `#/elder/${encodeURIComponent(d.elder_id)}` }, `${t("elder")} ${d.elder_id}`)] : null,
    ),
  );
}

async function optional(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return null;
    throw error;
  }
}

async function renderDevice(root, id, ctx) {
  const path = `/devices/${encodeURIComponent(id)}`;
  const [device, events] = await Promise.all([optional(ctx.api(path)), optional(ctx.api(`${path}/events`, { query: { limit: EVENTS } }))]);
  const about = device
    ? el(
        "dl",
        { class: "facts" },
        [
          [t("type"), label(device.type)],
          [t("room"), device.room ? roomName(device.room) : "—"],
          [t("elder"), device.elder_id ? el("a", { href: `#/elder/${encodeURIComponent(device.elder_id)}` }, device.elder_id) : t("stock")],
          [t("battery"), device.battery === null ? "—" : `${device.battery}%`],
          [t("last_seen"), device.last_seen ? dateTime(device.last_seen, { seconds: true }) : "—"],
          [t("heartbeat"), t("seconds", { n: device.heartbeat_interval_s })],
        ].map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
      )
    : el("p", { class: "notice" }, t("device_hidden"));
  fill(
    root,
    el("p", {}, el("a", { href: "#/fleet" }, `← ${t("back")}`)),
    el("h1", {}, t("device", { id }), " ", device ? (device.online === true ? tag(t("online"), "ok") : device.online === false ? tag(t("offline_now"), "bad") : tag(t("unknown"))) : null),
    section("device-about", label(device?.type ?? "") || id, about),
    section("device-events", t("events"), eventsTable(events)),
  );
}

function eventsTable(events) {
  if (events === null) return el("p", { class: "notice" }, t("events_hidden"));
  if (!events.length) return el("p", { class: "notice" }, t("events_none"));
  const rows = events.map((e) =>
    el(
      "tr",
      {},
      el("td", {}, dateTime(e.ts, { seconds: true })),
      el("td", {}, e.kind),
      el("td", {}, e.value ?? "—"),
      el("td", {}, e.battery === null ? "—" : `${e.battery}%`),
      el("td", {}, e.flags.join(", ")),
    ),
  );
  return table(t("events"), [t("time"), t("kind"), t("value"), t("battery"), t("flags")], rows, { class: "events" });
}
