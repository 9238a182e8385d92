/** `clients.minVersion` at register (the app, through `app.request`) and as the client reads the refusal. */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { ServerConfig } from "@wotc/schema/config";
import { createApp } from "../../server/src/app";
import { ClientHub } from "../../server/src/ws/hub";
import type { TokenStore } from "../../server/src/tokens";
import { ClientOutdated, register } from "../../client/src/register";

const BASE = {
  wg: { keys: [{ applicationId: "secret-app-id", rps: 10, clients: ["*"] }] },
  ranges: { xbox: { min: 1, max: 1001 }, ps: { min: 2000, max: 3001 } },
};

function appWith(extra: Record<string, unknown>) {
  const config = v.parse(ServerConfig, { ...BASE, ...extra });
  const tokens = { verify: async (token: string | undefined) => (token === "good-token" ? "volunteer" : undefined) } as unknown as TokenStore;
  const app = createApp({ config, hub: new ClientHub(config, () => {}), tokens, currentCrawl: () => undefined, version: "test" });
  const registerAs = (version: string | undefined, headers: Record<string, string> = {}) =>
    app.request("http://tracker.example.org:8888/api/register", {
      method: "POST",
      headers: { authorization: "Bearer good-token", "content-type": "application/json", ...headers },
      body: JSON.stringify({ name: "box", ...(version === undefined ? {} : { version }) }),
    });
  return { app, registerAs };
}

describe("register with clients.minVersion", () => {
  test("an older client gets 426 saying which version is needed and where its download is; no WG key", async () => {
    const { registerAs } = appWith({ clients: { minVersion: "0.2.0" } });
    const refused = await registerAs("0.1.0+20261127T214910Z", { "x-wotc-target": "linux-x64" });
    expect(refused.status).toBe(426);
    const body = await refused.text();
    expect(JSON.parse(body)).toEqual({
      error: "wotc-client 0.1.0+20261127T214910Z is too old: this server needs wotc-client 0.2.0 or newer; download it from http://tracker.example.org:8888/api/client/download/linux-x64",
      minVersion: "0.2.0",
      download: "http://tracker.example.org:8888/api/client/download/linux-x64",
    });
    expect(body).not.toContain("secret-app-id");
  });

  test("the minimum and anything newer get in; the work path carries the version for the socket's check", async () => {
    const { registerAs } = appWith({ clients: { minVersion: "0.2.0" } });
    for (const version of ["0.2.0", "0.2.0+20270101T000000Z", "0.10.0"]) {
      const response = await registerAs(version);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { workPath: string }).workPath).toBe(`/api/work?name=box&version=${encodeURIComponent(version)}`);
    }
  });

  test("a client that does not say its version, or says one that does not compare, is refused; the targets are listed", async () => {
    const { registerAs } = appWith({ clients: { minVersion: "0.2.0" }, server: { publicUrl: "https://tracker.example.org" } });
    const silent = (await (await registerAs(undefined)).json()) as { error: string };
    expect(silent.error).toBe(
      "this client does not say its version: this server needs wotc-client 0.2.0 or newer; download it from https://tracker.example.org/api/client/download/{target} ({target} is one of linux-x64, linux-arm64, windows-x64, darwin-arm64, darwin-x64)",
    );
    expect(((await (await registerAs("dev")).json()) as { error: string }).error).toStartWith('this client\'s version "dev" is not one this server can compare');
  });

  test("without a minimum every version is welcome", async () => {
    const { registerAs } = appWith({});
    expect((await registerAs("0.0.1")).status).toBe(200);
    expect((await registerAs(undefined)).status).toBe(200);
  });

  test("a minimum that is not a version is a config error", () => {
    const result = v.safeParse(ServerConfig, { ...BASE, clients: { minVersion: "0.2" } });
    expect(result.success).toBe(false);
    expect(v.getDotPath(result.issues![0]!)).toBe("clients.minVersion");
  });
});

test("the client reads a 426 as 'update needed', with the message, the version and the download", async () => {
  const { app } = appWith({ clients: { minVersion: "0.2.0" } });
  const attempt = register({
    server: "http://tracker.example.org:8888",
    token: "good-token",
    request: { name: "box", version: "0.1.0" },
    target: "darwin-arm64",
    fetch: (url, init) => Promise.resolve(app.request(url, init)),
  });
  await expect(attempt).rejects.toBeInstanceOf(ClientOutdated);
  await expect(attempt).rejects.toMatchObject({
    status: 426,
    minVersion: "0.2.0",
    download: "http://tracker.example.org:8888/api/client/download/darwin-arm64",
    message: "wotc-client 0.1.0 is too old: this server needs wotc-client 0.2.0 or newer; download it from http://tracker.example.org:8888/api/client/download/darwin-arm64",
  });
});
