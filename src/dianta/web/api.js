// The REST API, and nothing else: every call carries the bearer token in the Authorization header
// (never in a URL). The token lives in sessionStorage: gone when the tab closes.

const BASE = "/api/v1";
const TOKEN_KEY = "dianta.token";

export class ApiError extends Error {
  /** `body`: the answer's JSON when it had one (a refused batch's findings), else null. */
  constructor(status, detail, body = null) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.detail = detail || `HTTP ${status}`;
    this.body = body;
  }
}

let onUnauthorised = () => {};

/** Called when the server refuses the token (expired or revoked): the app shows the login page. */
export function setUnauthorisedHandler(handler) {
  onUnauthorised = handler;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** `path` with its query parameters (undefined, null and "" left out). */
export function withQuery(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The reason of a failed call, and its JSON body (null when it has none). */
async function errorDetail(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    return { detail: response.statusText, body: null };
  }
  if (body && typeof body.detail === "string") return { detail: body.detail, body };
  if (body && Array.isArray(body.errors)) return { detail: body.errors.map((d) => d.msg || JSON.stringify(d)).join("; "), body };
  return { detail: JSON.stringify(body), body };
}

/** Call the API; JSON in and out (`raw: true` returns the Response for binary downloads). */
export async function api(path, { method = "GET", json, form, raw = false, bearer } = {}) {
  const headers = {};
  const auth = bearer || token();
  if (auth) headers.Authorization = `Bearer ${auth}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  let response;
  try {
    response = await fetch(BASE + path, { method, headers, body, credentials: "omit", cache: "no-store" });
  } catch (exc) {
    throw new ApiError(0, exc.message);
  }
  if (!response.ok) {
    const { detail, body: answer } = await errorDetail(response);
    if (response.status === 401 && auth && !bearer) onUnauthorised();
    throw new ApiError(response.status, detail, answer);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** Log in with the OAuth2 password form of POST /auth/token; keeps the token for the session. */
export async function login(username, password) {
  const body = await api("/auth/token", { method: "POST", form: { username, password, grant_type: "password" } });
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  return body;
}

/** Forget the token at once (a reload during logout finds none), then revoke it on the server. */
export async function logout() {
  const bearer = token();
  clearToken();
  if (bearer) await api("/auth/logout", { method: "POST", bearer });
}

/** The file name of a Content-Disposition header, else `fallback`. */
export function fileName(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header);
  return match ? decodeURIComponent(match[1]) : fallback;
}
