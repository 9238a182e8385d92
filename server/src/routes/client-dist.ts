/**
 * `GET /api/client/manifest` and `GET /api/client/download/:target`: the signed
 * manifest of the client builds, and the builds themselves, streamed. Both
 * are public: a volunteer downloads the client before having anything else.
 *
 * Clients that read format 2 ask for it (`?format=2`). Without the query the
 * answer is the legacy manifest while a transition build provides one, since
 * that is all clients from before format 2 can verify, else format 2.
 */
import { Hono } from "hono";
import { CLIENT_TARGETS, executableName, isClientTarget, MANIFEST_FORMAT } from "@wotc/schema/wire/client-manifest";
import type { ClientCatalog } from "../client-builds/catalog";

export function clientDistRoute(deps: { clientBuilds?: ClientCatalog }) {
  const noBuilds = () => ({
    error: "this server distributes no client builds yet (the operator runs `bun run build:client`)",
    targets: [] as string[],
  });
  return new Hono()
    .get("/api/client/manifest", (c) => {
      const published = deps.clientBuilds?.current();
      if (!published) return c.json(noBuilds(), 404);
      c.header("cache-control", "no-cache");
      const formatTwo = c.req.query("format") === String(MANIFEST_FORMAT);
      return c.json(formatTwo || !published.legacy ? published.signed : published.legacy);
    })
    .get("/api/client/download/:target", async (c) => {
      const published = deps.clientBuilds?.current();
      const target = c.req.param("target");
      const entry = published && isClientTarget(target) ? published.targets.get(target) : undefined;
      if (!entry || !isClientTarget(target)) {
        const targets = published ? [...published.targets.keys()] : [];
        const known = isClientTarget(target) ? "has no build" : `is not a target (targets are ${CLIENT_TARGETS.join(", ")})`;
        return c.json({ error: `${target} ${known}; this server has builds for: ${targets.join(", ") || "none"}`, targets }, 404);
      }
      const file = Bun.file(entry.path);
      // Replaced since it was signed: a client would refuse it anyway, so say so instead of sending 100 MB
      if (!(await file.exists()) || file.size !== entry.size) {
        return c.json({ error: `the ${target} build changed on disk since it was signed; try again shortly` }, 503);
      }
      return new Response(file.stream(), {
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(entry.size),
          "content-disposition": `attachment; filename="${executableName(target)}"`,
          "x-wotc-version": published!.version,
          "x-wotc-sha256": entry.sha256,
        },
      });
    });
}
