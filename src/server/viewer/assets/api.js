// The query API client. With `skein serve --token`, the token comes from the
// link (`#token=…`) or from the sign-in form, lives in sessionStorage (this
// tab only) and goes out as `Authorization: Bearer` on every request.

const TOKEN_KEY = 'skein.token';
/** Used when sessionStorage is unavailable. @type {string | null} */
let memoryToken = null;

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Moves `#token=…` from the address bar into sessionStorage, so it is neither kept in history nor shared by copying the URL. */
export function takeTokenFromLocation() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const token = hash.get('token');
  if (token === null) return;
  setToken(token);
  hash.delete('token');
  const rest = hash.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

/** @returns {string | null} */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} token */
export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the token lasts until reload.
  }
  memoryToken = token;
}

/** @returns {Record<string, string>} */
export function authHeaders() {
  const token = getToken() ?? memoryToken;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * GET /api/<path> as JSON. A 401 also fires `skein:unauthorized` on window so
 * the app can ask for a token.
 * @param {string} path e.g. `/sessions`
 * @param {Record<string, string | number | undefined | null>} [params]
 * @param {{ signal?: AbortSignal }} [options]
 */
export async function apiGet(path, params = {}, options = {}) {
  const url = new URL(`/api${path}`, location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  const response = await fetch(url, { headers: { Accept: 'application/json', ...authHeaders() }, signal: options.signal });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/**
 * A POST or DELETE to the API; the mutating routes want a JSON content type.
 * @param {'POST' | 'DELETE'} method @param {string} path @param {Record<string, string>} [params]
 */
export async function apiChange(method, path, params = {}) {
  const url = new URL(`/api${path}`, location.origin);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const response = await fetch(url, {
    method,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...authHeaders() },
    body: method === 'POST' ? '{}' : undefined,
  });
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

/** @param {Response} response */
export async function errorOf(response) {
  let code = 'http_error';
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    }
  } catch {
    // Not JSON: keep the status line.
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent('skein:unauthorized'));
  return new ApiError(response.status, code, message);
}

/** @param {string} sessionId */
export const sessionPath = (sessionId) => `/sessions/${encodeURIComponent(sessionId)}`;
