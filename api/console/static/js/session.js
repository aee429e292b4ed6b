// The signed-in session: the bearer token and what it is (role, town, name), kept in
// sessionStorage only — gone when the tab closes, never in a URL or a cookie. Signing out,
// or the API refusing the token (expired, revoked), fires "tanfang:signed-out" {reason}.

import { api, ApiError } from "./api.js";

const STORAGE_KEY = "tanfang.session";
export const SIGNED_OUT_EVENT = "tanfang:signed-out";
export const SIGNED_IN_EVENT = "tanfang:signed-in";

export class SignInError extends Error {
  // reason: "empty" (nothing pasted), "rejected" (the API refused the token or code).
  constructor(reason) {
    super(reason);
    this.name = "SignInError";
    this.reason = reason;
  }
}

function read() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
    return stored && typeof stored.token === "string" ? stored : null;
  } catch {
    return null;
  }
}

function store(tokenValue, self) {
  const kept = { token: tokenValue, role: self.role, town: self.town ?? null, name: self.name, expires_at: self.expires_at ?? null };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(kept));
  window.dispatchEvent(new CustomEvent(SIGNED_IN_EVENT, { detail: session() }));
}

// {role, town, name, expires_at} of the signed-in token, or null.
export function session() {
  const stored = read();
  if (!stored) return null;
  const { role, town, name, expires_at: expiresAt } = stored;
  return { role, town, name, expires_at: expiresAt };
}

export function token() {
  return read()?.token ?? null;
}

// A token as pasted: spaces, tabs and line breaks (a token wrapped in a chat) removed.
export function cleanToken(raw) {
  return String(raw ?? "").replace(/\s+/g, "");
}

// Sign in with a pasted token: the API says who it is, or refuses it (SignInError
// "rejected"); ApiDown when the API cannot be reached.
export async function signIn(raw) {
  const presented = cleanToken(raw);
  if (!presented) throw new SignInError("empty");
  let self;
  try {
    self = await api("/tokens/self", { token: presented });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw new SignInError("rejected");
    throw error;
  }
  store(presented, self);
}

// Sign in with a single-use code (a sign-in link's #signin=CODE): exchanged for a new token.
export async function signInWithCode(code) {
  let made;
  try {
    made = await api("/sign-in", { method: "POST", body: { code }, token: null });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 422)) throw new SignInError("rejected");
    throw error;
  }
  store(made.token, made);
}

export function signOut() {
  end("signed-out");
}

// The API refused the session's token (reason "expired": expired or revoked).
export function expireSession(reason) {
  end(reason);
}

function end(reason) {
  if (!read()) return;
  sessionStorage.removeItem(STORAGE_KEY);
  window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT, { detail: { reason } }));
}
