// The activity timeline of the elder card: one row per room, one cell per time slot, darker
// for more events (an SVG per row: it scales to any width, no inline style under the CSP).

import { dateTime, el } from "../format.js";

const SVG = "http://www.w3.org/2000/svg";
const AXIS_MARKS = 4; // labels at the start, each quarter, and the end of the window

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

function level(count) {
  if (count >= 6) return "l3";
  if (count >= 3) return "l2";
  return "l1";
}

// activity: the API's {since, until, slot_minutes, rooms: [{room, counts}]};
// roomName(room) says a room in words (null: a device placed in no room).
export function activityTimeline(activity, roomName) {
  const start = Date.parse(activity.since);
  const slotMs = activity.slot_minutes * 60000;
  const rows = activity.rooms.map((row) => {
    const slots = row.counts.length;
    const cells = svg("svg", { viewBox: `0 0 ${slots} 1`, preserveAspectRatio: "none", class: "tl-cells", role: "img" });
    const busy = row.counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
    cells.setAttribute("aria-label", `${roomName(row.room)}: ${busy}/${slots}`);
    row.counts.forEach((count, i) => {
      if (!count) return;
      const cell = svg("rect", { x: i + 0.06, y: 0, width: 0.88, height: 1, class: level(count) });
      const title = svg("title", {});
      title.textContent = `${dateTime(new Date(start + i * slotMs).toISOString())} · ${count}`;
      cell.append(title);
      cells.append(cell);
    });
    return el("div", { class: "tl-row", dataset: { room: row.room ?? "" } }, el("span", { class: "tl-room" }, roomName(row.room)), el("div", { class: "tl-track" }, cells));
  });
  const span = Date.parse(activity.until) - start;
  const marks = Array.from({ length: AXIS_MARKS + 1 }, (_, k) => el("span", {}, dateTime(new Date(start + (span * k) / AXIS_MARKS).toISOString()).slice(11, 16)));
  return el("div", { class: "timeline" }, rows, el("div", { class: "tl-row tl-axis", "aria-hidden": "true" }, el("span", { class: "tl-room" }), el("div", { class: "tl-track tl-marks" }, marks)));
}
