// The live alerts board (#/board): open alerts first, then acknowledged ones, each by
// severity then age (the longest waiting first); live through the alert stream, resumed
// without loss after any break; a beep and the page title on a new critical alert; ack in
// one tap, resolve with outcome and notes in two.

import { ApiDown, ApiError } from "../api.js";
import { dateTime, el, fill } from "../format.js";
import { Alarm } from "./board_alarm.js";
import { LiveStream } from "./board_live.js";
import { createRow, tickRow, updateRow } from "./board_row.js";
import { t } from "./board_texts.js";

// The board recovers by itself when the API comes back (its stream reconnects).
export const handlesReconnect = true;

const SEVERITY_RANK = { critical: 0, high: 1, low: 2 };
const STATUS_RANK = { open: 0, acked: 1 };
const ALARM_CHANGES = new Set(["opened", "reopened"]);
const TICK_MS = 1000;
const PAGE_SIZE = 500;
const RELOAD_RETRY_MS = 3000;

// Open before acked; then critical, high, low; then the oldest first; then by id.
export function boardOrder(a, b) {
  return (
    (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9) ||
    (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) ||
    Date.parse(a.opened_at) - Date.parse(b.opened_at) ||
    Number(a.id) - Number(b.id)
  );
}

export async function render(root, params, ctx) {
  const board = new Board(root, ctx);
  await board.start();
  return () => board.stop();
}

class Board {
  constructor(root, ctx) {
    this.root = root;
    this.session = ctx.session;
    this.api = ctx.api;
    this.alerts = new Map(); // alert id → alert
    this.declared = new Map(); // alert id → the absence 不在家… declared, until it is resolved
    this.towns = new Map(); // alert id → town, as the stream names it
    this.elders = new Map(); // elder id → {name, town, village} | null while loading
    this.rows = new Map(); // alert id → <li>
    this.pending = null; // changes that came while the list was loading
    this.loaded = false;
    this.newCritical = false;
    this.baseTitle = document.title;
    this.canAct = this.session.role !== "viewer";
    this.build();
  }

  build() {
    this.state = el("span", { class: "live-state", role: "status" });
    this.sound = el("button", { type: "button", class: "sound", onclick: () => this.alarm.resume().then(() => this.showSound()) });
    this.lists = {
      open: el("ol", { class: "alerts", id: "open-alerts", "aria-labelledby": "open-heading" }),
      acked: el("ol", { class: "alerts", id: "acked-alerts", "aria-labelledby": "acked-heading" }),
    };
    this.headings = {
      open: el("h2", { id: "open-heading" }),
      acked: el("h2", { id: "acked-heading" }),
    };
    this.empty = { open: el("p", { class: "empty" }, t("none_open")), acked: el("p", { class: "empty" }, t("none_acked")) };
    fill(
      this.root,
      el("div", { class: "board-head" }, el("h1", {}, t("heading")), this.state, this.sound),
      el("section", { class: "board-part open" }, this.headings.open, this.empty.open, this.lists.open),
      el("section", { class: "board-part acked" }, this.headings.acked, this.empty.acked, this.lists.acked),
    );
    this.root.classList.add("board");
  }

  async start() {
    this.alarm = new Alarm();
    this.seen = () => {
      if (document.visibilityState === "visible" && this.newCritical) {
        this.newCritical = false;
        this.showTitle();
      }
    };
    for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, this.seen);
    this.live = new LiveStream({
      change: (data) => this.onChange(data),
      reset: () => this.reload(),
      state: (name) => this.showState(name),
      // A stream opened without a position (the first, or none seen yet) may have missed
      // changes before it: the list is read again after it.
      opened: ({ resumed }) => {
        if (!resumed || !this.loaded) this.reload();
      },
    });
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.render();
    await this.live.start();
  }

  stop() {
    this.stopped = true;
    this.live.stop();
    clearInterval(this.ticker);
    clearTimeout(this.reloadTimer);
    for (const type of ["pointerdown", "keydown"]) document.removeEventListener(type, this.seen);
    this.alarm.close();
    this.root.classList.remove("board");
    document.title = this.baseTitle;
  }

  // The open and acked alerts from the list, then the changes that came meanwhile on top.
  async reload() {
    if (this.reloading) {
      this.again = true; // a read that began before now may miss a change: read once more
      return;
    }
    this.reloading = true;
    this.again = false;
    this.pending = [];
    clearTimeout(this.reloadTimer);
    try {
      const [open, acked] = await Promise.all([this.all("open"), this.all("acked")]);
      if (this.stopped) return;
      this.alerts = new Map([...open, ...acked].map((a) => [a.id, a]));
      const pending = this.pending;
      this.pending = null;
      this.loaded = true;
      for (const data of pending) this.apply(data, { alarm: true });
      this.render();
    } catch (error) {
      this.pending = null;
      if (error instanceof ApiError && error.status === 401) return;
      if (!(error instanceof ApiDown || error instanceof ApiError)) console.error(error);
      this.reloadTimer = setTimeout(() => this.reload(), RELOAD_RETRY_MS);
    } finally {
      this.reloading = false;
      if (this.again && !this.stopped) this.reload();
    }
  }

  async all(status) {
    const found = [];
    let cursor;
    do {
      const page = await this.api("/alerts", { query: { status, limit: PAGE_SIZE, cursor } });
      found.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return found;
  }

  onChange(data) {
    if (this.pending) {
      this.pending.push(data);
      return;
    }
    this.apply(data, { alarm: true });
    this.render();
  }

  apply(data, { alarm }) {
    const alert = data.alert;
    if (alert.status === "resolved") {
      this.alerts.delete(alert.id);
      this.towns.delete(alert.id);
    } else {
      this.alerts.set(alert.id, alert);
      if (data.town !== undefined) this.towns.set(alert.id, data.town);
    }
    if (alarm && ALARM_CHANGES.has(data.change) && alert.severity === "critical" && alert.status === "open") {
      this.newCritical = true;
      this.alarm.sound();
      this.root.dataset.alarms = String(this.alarm.count);
    }
  }

  render() {
    const sorted = [...this.alerts.values()].sort(boardOrder);
    const keep = new Set(sorted.map((a) => a.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
    const placed = { open: [], acked: [] };
    for (const alert of sorted) {
      let row = this.rows.get(alert.id);
      if (!row) {
        row = createRow(alert, { actions: this, canAct: this.canAct });
        this.rows.set(alert.id, row);
      }
      updateRow(row, alert, this.elder(alert.elder_id), this.towns.get(alert.id));
      placed[alert.status === "open" ? "open" : "acked"].push(row);
    }
    for (const part of ["open", "acked"]) {
      place(this.lists[part], placed[part]);
      fill(this.headings[part], `${t(part)} (${placed[part].length})`);
      this.empty[part].hidden = placed[part].length > 0 || !this.loaded;
    }
    this.root.dataset.loaded = String(this.loaded);
    this.showTitle();
    this.showSound();
  }

  // The elder's name, town and village, read once per board (each read is audited).
  elder(elderId) {
    if (!elderId) return null;
    if (this.elders.has(elderId)) return this.elders.get(elderId);
    this.elders.set(elderId, null);
    this.api(`/elders/${encodeURIComponent(elderId)}`).then(
      (file) => {
        this.elders.set(elderId, { name: file.name, town: file.town, village: file.village ?? null });
        if (!this.stopped) this.render();
      },
      (error) => {
        // Refused or gone: the id stands in for the name. Unreachable: asked again later.
        if (error instanceof ApiError) this.elders.set(elderId, { name: null });
        else this.elders.delete(elderId);
      },
    );
    return null;
  }

  tick() {
    const now = Date.now();
    for (const row of this.rows.values()) tickRow(row, now);
    this.showSound();
  }

  showState(name) {
    this.root.dataset.connection = name;
    this.state.className = `live-state ${name}`;
    fill(this.state, t(name));
    for (const list of Object.values(this.lists)) list.classList.toggle("stale", name !== "live");
  }

  showTitle() {
    const critical = [...this.alerts.values()].filter((a) => a.status === "open" && a.severity === "critical").length;
    const parts = [];
    if (this.newCritical) parts.push(t("title_new"));
    if (critical) parts.push(t("title_open", { count: critical }));
    document.title = parts.length ? `${parts.join(" ")} — ${this.baseTitle}` : this.baseTitle;
  }

  showSound() {
    const blocked = this.alarm.blocked;
    this.sound.hidden = !blocked;
    fill(this.sound, blocked ? t("sound_off") : t("sound_on"));
  }

  by() {
    return (this.session.name || this.session.role).slice(0, 100);
  }

  async ack(alert) {
    const view = await this.api(`/alerts/${alert.id}/ack`, { method: "POST", body: { by: this.by() } });
    this.newCritical = false;
    this.settle(view);
  }

  async resolve(alert, outcome, notes) {
    const next = this.nextRow(alert.id);
    const view = await this.api(`/alerts/${alert.id}/resolve`, { method: "POST", body: { by: this.by(), outcome, notes } });
    this.settle(view);
    (next?.querySelector("button") ?? this.headings.open).focus?.();
  }

  // The family says the elder is elsewhere: the absence from now until ``until`` (an ISO
  // time), then the alert resolved saying so — unless the detection ended it meanwhile
  // (the absence ends what it explains: 409, already resolved). Pressed again after the
  // resolve failed, the absence already declared is not declared twice.
  async away(alert, reason, until) {
    const declared = this.declared;
    let absence = declared.get(alert.id);
    if (!absence) {
      const path = `/elders/${encodeURIComponent(alert.elder_id)}/absences`;
      absence = await this.api(path, { method: "POST", body: { from: new Date().toISOString(), to: until, reason } });
      declared.set(alert.id, absence);
    }
    try {
      await this.resolve(alert, "other", t("away_note", { reason: absence.reason, to: dateTime(absence.to) }));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
    declared.delete(alert.id);
  }

  // The alert as the API answered an action (a stream event will say the same).
  settle(view) {
    const { timeline, ...alert } = view;
    this.apply({ alert, change: null }, { alarm: false });
    this.render();
  }

  nextRow(id) {
    const row = this.rows.get(id);
    return row?.nextElementSibling ?? row?.previousElementSibling ?? null;
  }
}

// Put rows into a list in order, moving only the ones out of place (a moved node loses focus).
function place(list, rows) {
  rows.forEach((row, i) => {
    if (list.children[i] !== row) list.insertBefore(row, list.children[i] ?? null);
  });
}
