/**
 * Client distribution as main.ts wires it: the catalog of signed builds and
 * a timer that re-reads the clients directory, so a new build is noticed
 * (and announced) without a restart. main.ts also calls `refresh()` on
 * SIGHUP for an immediate look.
 */
import { join } from "node:path";
import { ClientCatalog, type Publication } from "./catalog";

export const DEFAULT_RESCAN_MS = 30_000;
/** Where servers before format 2 kept the key they signed with; today's clients trust it. */
export const LEGACY_SIGNING_KEY_FILE = "client-signing-key.pem";

export interface DistributionOptions {
  /** config server.dataDir, only to warn about a signing key left there. */
  dataDir: string;
  clientsDir: string;
  log: (line: string) => void;
  /** Called when a build other than the one published at start appears. */
  onNewBuild: (version: string) => void;
  rescanMs?: number;
}

export interface ClientDistribution {
  catalog: ClientCatalog;
  /** Looks at the clients directory now; announces a new build. */
  refresh(): Promise<Publication | undefined>;
  stop(): void;
}

export async function startClientDistribution(options: DistributionOptions): Promise<ClientDistribution> {
  const legacyKey = join(options.dataDir, LEGACY_SIGNING_KEY_FILE);
  if (await Bun.file(legacyKey).exists()) {
    options.log(
      `WARNING: ${legacyKey} is the key clients from before format 2 trust; this server no longer uses it. ` +
        `Sign one transition build with it (bun run build:client --legacy-key ${legacyKey}, README "Migrating"), then move it off this machine`,
    );
  }
  const catalog = new ClientCatalog({ dir: options.clientsDir, log: options.log });
  const first = await catalog.refresh();
  if (first) {
    const legacy = first.legacy ? ", with a legacy manifest for older clients" : "";
    options.log(`distributing client ${first.version} (sequence ${first.sequence}) for ${[...first.targets.keys()].join(", ")}${legacy}`);
  }

  const refresh = async () => {
    const fresh = await catalog.refresh();
    if (fresh) {
      options.log(`new client build ${fresh.version} (sequence ${fresh.sequence}) for ${[...fresh.targets.keys()].join(", ")}; telling connected clients`);
      options.onNewBuild(fresh.version);
    }
    return fresh;
  };
  const timer = setInterval(() => void refresh(), options.rescanMs ?? DEFAULT_RESCAN_MS);
  timer.unref();
  return { catalog, refresh, stop: () => clearInterval(timer) };
}
