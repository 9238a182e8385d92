/**
 * Guards requests that change state (the dashboard's controls) against other
 * sites: they must be POST (the routes take nothing else), carry our custom
 * header (which a cross-site page cannot send without a CORS preflight, and
 * we answer none), and any Origin or Sec-Fetch-Site the browser adds must
 * say this same site.
 */
import type { MiddlewareHandler } from "hono";
import { CONTROL_HEADER } from "../ctl/actions";

export const sameOriginOnly: MiddlewareHandler = async (c, next) => {
  if (c.req.header(CONTROL_HEADER) !== "1") {
    return c.json({ ok: false, message: `state-changing requests need the header ${CONTROL_HEADER}: 1` }, 403);
  }
  const site = c.req.header("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return c.json({ ok: false, message: "cross-site requests cannot change the tracker" }, 403);
  const origin = c.req.header("origin");
  if (origin && originHost(origin) !== c.req.header("host")) {
    return c.json({ ok: false, message: `requests from ${origin} cannot change the tracker` }, 403);
  }
  await next();
};

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
