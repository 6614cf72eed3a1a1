// The cloud API as the desk uses it: JSON in and out, the access token in memory and the
// refresh token in this tab's sessionStorage (gone when the tab closes), one refresh and
// retry on a 401, and problem+json answers turned into errors that name the bad fields.

export class ApiError extends Error {
  constructor(status, problem) {
    super(describe(problem) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function describe(p) {
  if (!p) return '';
  if (Array.isArray(p.errors) && p.errors.length) return p.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return p.detail || p.title || '';
}

const REFRESH_KEY = 'spotter.desk.refresh';

export class Api {
  constructor() {
    this.access = null;
    this.onSignedOut = () => {};
  }

  get signedIn() { return this.access !== null; }

  async login(email, password) {
    const pair = await this.#send('POST', '/api/auth/login', { email, password }, {}, false);
    this.#keep(pair);
  }

  // A reload of the page keeps the staff member signed in while the tab lives.
  async resume() {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    if (!refresh) return false;
    try {
      this.#keep(await this.#send('POST', '/api/auth/refresh', { refresh_token: refresh }, {}, false));
      return true;
    } catch {
      sessionStorage.removeItem(REFRESH_KEY);
      return false;
    }
  }

  async logout() {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    this.access = null;
    sessionStorage.removeItem(REFRESH_KEY);
    if (refresh) await fetch('/api/auth/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                  body: JSON.stringify({ refresh_token: refresh }) }).catch(() => {});
  }

  get(path) { return this.#send('GET', path); }
  post(path, body, headers = {}) { return this.#send('POST', path, body, headers); }

  #keep(pair) {
    this.access = pair.access_token;
    sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
  }

  async #send(method, path, body, headers = {}, authorized = true) {
    const go = () => {
      const h = { Accept: 'application/json', ...headers };
      if (body !== undefined) h['Content-Type'] = 'application/json';
      if (authorized && this.access) h.Authorization = `Bearer ${this.access}`;
      return fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    };
    let res = await go();
    if (res.status === 401 && authorized) {
      if (await this.resume()) res = await go();
      else { this.access = null; this.onSignedOut(); }
    }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (!res.ok) throw new ApiError(res.status, json);
    return json;
  }
}

// A key that makes a retried sale (a timeout, a double press) the same sale.
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
