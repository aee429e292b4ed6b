// The API client of every view: api(path, {method, body, query}) → the parsed JSON answer.
// Errors: ApiError {status, detail} for an answer the API gave (401 also signs out: event
// "tanfang:signed-out"); ApiDown when the API cannot be reached (network, timeout, 502-504,
// or 503: its database is away). The connection's state is the event "tanfang:connection"
// {down}, so that the shell shows a banner and greys the last state while it retries.

import { expireSession, token as sessionToken } from "./session.js";

export const API_BASE = "/api/v1";
export const CONNECTION_EVENT = "tanfang:connection";
// Long enough for a slow phone network; a request hanging longer counts as the API down.
const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(status, detail) {
    super(describe(status, detail));
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }

  // The field a 422 names ("outcome" of ["body", "outcome"]), or null.
  get field() {
    const first = Array.isArray(this.detail) ? this.detail[0] : null;
    return first?.loc ? String(first.loc[first.loc.length - 1]) : null;
  }
}

export class ApiDown extends Error {
  constructor(reason) {
    super(`API unreachable: ${reason}`);
    this.name = "ApiDown";
  }
}

function describe(status, detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc ?? []).slice(1).join(".")}: ${d.msg ?? ""}`).join("; ");
  }
  return `HTTP ${status}`;
}

let down = false;

export function isApiDown() {
  return down;
}

function setDown(value) {
  if (value === down) return;
  down = value;
  window.dispatchEvent(new CustomEvent(CONNECTION_EVENT, { detail: { down } }));
}

// Tell the shell the API answered (the live stream does, when it opens).
export function markApiUp() {
  setDown(false);
}

export function markApiDown() {
  setDown(true);
}

// options.token: use this token instead of the session's (null: no token at all); a 401
// then does not sign the session out. options.as: "json" (default), "text" or "blob".
// options.idempotencyKey: sent as Idempotency-Key, so that a POST retried after a lost
// answer is recorded once (POST /visits).
export async function api(path, options = {}) {
  const { method = "GET", body, query, as = "json", signal } = options;
  const own = !Object.prototype.hasOwnProperty.call(options, "token");
  const bearer = own ? sessionToken() : options.token;
  const url = new URL(API_BASE + path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  const headers = { Accept: as === "json" ? "application/json" : "*/*" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  const response = await send(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, signal);
  if (response.status === 503 || (response.status >= 502 && response.status <= 504)) {
    setDown(true);
    throw new ApiDown(`HTTP ${response.status}`);
  }
  setDown(false);
  if (!response.ok) {
    const detail = await response.json().then((b) => b?.detail ?? null, () => null);
    if (response.status === 401 && own) expireSession("expired");
    throw new ApiError(response.status, detail);
  }
  if (response.status === 204) return null;
  if (as === "text") return response.text();
  if (as === "blob") return response.blob();
  return response.json();
}

async function send(url, init, signal) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  const cancel = () => abort.abort();
  signal?.addEventListener("abort", cancel);
  try {
    return await fetch(url, { ...init, signal: abort.signal, cache: "no-store", credentials: "same-origin" });
  } catch (error) {
    if (signal?.aborted) throw error;
    setDown(true);
    throw new ApiDown(error?.name === "AbortError" ? "timeout" : "network");
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", cancel);
  }
}
