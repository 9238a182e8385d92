/**
 * `bun run server ctl ACTION [NAME]`: asks the running tracker over HTTP, with
 * the admin token (config `admin.token`, else `<dataDir>/admin.token`), at the
 * config's address (or `--url`). Prints the tracker's answer.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ServerConfig } from "@wotc/schema/config";
import { ADMIN_TOKEN_FILE } from "../access/admin-token";
import { CONTROL_HEADER, type ControlAction, type ControlReply } from "./actions";

export interface SendControlOptions {
  config: ServerConfig;
  action: ControlAction;
  name: string | undefined;
  /** Default: the config's server.host and server.port (0.0.0.0 and :: as loopback). */
  url?: string;
  fetch?: typeof fetch;
}

export async function sendControl(options: SendControlOptions): Promise<ControlReply> {
  const base = options.url ?? trackerUrl(options.config);
  const token = options.config.admin.token ?? (await readAdminToken(options.config.server.dataDir));
  const target = `${base.replace(/\/$/, "")}/api/admin/control/${options.action}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(target, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, [CONTROL_HEADER]: "1", "content-type": "application/json" },
      body: JSON.stringify(options.name ? { name: options.name } : {}),
    });
  } catch (error) {
    return { ok: false, message: `cannot reach the tracker at ${base}: ${(error as Error).message} (is it running? pass --url if it listens elsewhere)` };
  }
  const reply = (await response.json().catch(() => undefined)) as Partial<ControlReply> | undefined;
  return { ok: response.ok && reply?.ok === true, message: reply?.message ?? `the tracker answered HTTP ${response.status}` };
}

export function trackerUrl(config: ServerConfig): string {
  const { host, port } = config.server;
  const reachable = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  return `${config.tls.cert ? "https" : "http"}://${reachable}:${port}`;
}

async function readAdminToken(dataDir: string): Promise<string> {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const token = await readFile(file, "utf8").then(
    (text) => text.trim(),
    (error: Error) => {
      throw new Error(`no admin token: cannot read ${file} (${error.message}); the tracker writes it at its first start, or set admin.token`);
    },
  );
  if (!token) throw new Error(`no admin token: ${file} is empty`);
  return token;
}
