/**
 * The admin token as the page keeps it: entered once, kept in this browser's
 * localStorage, sent as `Authorization: Bearer` with every request. On the
 * tracker's own machine none is needed (loopback counts as admin).
 */
const KEY = "wotc-admin-token";

export class AdminToken {
  get value(): string | null {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null; // storage disabled: the token lasts only as long as the page
    }
  }

  set(token: string | null): void {
    try {
      if (token) localStorage.setItem(KEY, token);
      else localStorage.removeItem(KEY);
    } catch {
      // nothing to keep it in
    }
  }

  headers(): Record<string, string> {
    const token = this.value;
    return token ? { authorization: `Bearer ${token}` } : {};
  }
}
