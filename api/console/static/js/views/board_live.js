// The board's live stream: a single-use ticket, then an EventSource on
// /alerts/stream?ticket=…&last_event_id=…. A ticket cannot be used twice, so on any error the
// stream is closed here and reopened with a new ticket after the last change id seen: the
// server sends every change missed meanwhile (nothing lost, nothing twice). Retries back off
// from 1 s to 15 s; the state ("connecting", "live", "lost") is reported at every change.

import { ApiDown, ApiError, api, markApiUp } from "../api.js";

const STREAM_PATH = "/api/v1/alerts/stream";
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 15000;

export class LiveStream {
  // handlers: {change(data), reset(), state(name), opened({resumed})}
  constructor(handlers) {
    this.handlers = handlers;
    this.lastId = null;
    this.source = null;
    this.timer = null;
    this.delay = RETRY_FIRST_MS;
    this.stopped = false;
  }

  // Opens the stream; resolves once it is open (or has failed once and is retrying).
  async start() {
    await this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }

  async connect() {
    if (this.stopped) return;
    this.handlers.state("connecting");
    let ticket;
    try {
      ticket = (await api("/alerts/stream-ticket", { method: "POST" })).ticket;
    } catch (error) {
      // 401: api.js has signed the session out. Anything else: try again later.
      if (error instanceof ApiError && error.status === 401) return;
      if (!(error instanceof ApiDown || error instanceof ApiError)) console.error(error);
      this.lost();
      return;
    }
    if (this.stopped) return;
    await this.open(ticket);
  }

  open(ticket) {
    const query = new URLSearchParams({ ticket });
    if (this.lastId !== null) query.set("last_event_id", this.lastId);
    const resumed = this.lastId !== null;
    const source = new EventSource(`${STREAM_PATH}?${query}`);
    this.source = source;
    return new Promise((resolve) => {
      source.addEventListener("open", () => {
        this.delay = RETRY_FIRST_MS;
        markApiUp();
        this.handlers.state("live");
        this.handlers.opened({ resumed });
        resolve();
      });
      source.addEventListener("alert", (event) => {
        this.lastId = event.lastEventId || this.lastId;
        this.handlers.change(JSON.parse(event.data));
      });
      source.addEventListener("reset", (event) => {
        this.lastId = event.lastEventId || null;
        this.handlers.reset();
      });
      source.addEventListener("error", () => {
        if (this.source !== source) return;
        source.close();
        this.source = null;
        this.lost();
        resolve();
      });
    });
  }

  lost() {
    if (this.stopped) return;
    this.handlers.state("lost");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, RETRY_MAX_MS);
  }
}
