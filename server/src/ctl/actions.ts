/**
 * The operator's controls, named once: the dashboard's buttons, the
 * `POST /api/admin/control/:action` route and `bun run server ctl ACTION`
 * all take these.
 */
export const CONTROL_ACTIONS = ["pause", "resume", "drain", "run-now", "suspend", "reinstate", "recrawl"] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** Actions that name a token. */
export const NAMED_ACTIONS: ReadonlySet<ControlAction> = new Set(["suspend", "reinstate", "recrawl"]);

export function isControlAction(text: string): text is ControlAction {
  return (CONTROL_ACTIONS as readonly string[]).includes(text);
}

/** What every control answers: whether it was done, and the sentence the operator reads. */
export interface ControlReply {
  ok: boolean;
  message: string;
}

/** Sent with every control request: a page on another site cannot set it without the browser asking first (CORS preflight), and we never answer that. */
export const CONTROL_HEADER = "x-wotc-control";
