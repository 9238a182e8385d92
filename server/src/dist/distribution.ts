/**
 * Client distribution as main.ts wires it: the signing key, the catalog of
 * builds, and a timer that re-reads the clients directory so a new build is
 * noticed (and announced) without a restart. main.ts also calls `refresh()`
 * on SIGHUP for an immediate look.
 */
import { ClientCatalog, type Publication } from "./catalog";
import { loadOrCreateSigningKey, type SigningKey } from "./signing-key";

export const DEFAULT_CLIENTS_DIR = "dist/clients";
export const DEFAULT_RESCAN_MS = 30_000;

export interface DistributionOptions {
  dataDir: string;
  clientsDir: string;
  log: (line: string) => void;
  /** Called when a build other than the one published at start appears. */
  onNewBuild: (version: string) => void;
  rescanMs?: number;
}

export interface ClientDistribution {
  catalog: ClientCatalog;
  key: SigningKey;
  /** Looks at the clients directory now; announces a new build. */
  refresh(): Promise<Publication | undefined>;
  stop(): void;
}

export async function startClientDistribution(options: DistributionOptions): Promise<ClientDistribution> {
  const key = await loadOrCreateSigningKey(options.dataDir, options.log);
  const catalog = new ClientCatalog({ dir: options.clientsDir, key, log: options.log });
  const first = await catalog.refresh();
  if (first) options.log(`distributing client ${first.version} for ${[...first.targets.keys()].join(", ")} (signing key ${key.keyId})`);

  const refresh = async () => {
    const fresh = await catalog.refresh();
    if (fresh) {
      options.log(`new client build ${fresh.version} for ${[...fresh.targets.keys()].join(", ")}; telling connected clients`);
      options.onNewBuild(fresh.version);
    }
    return fresh;
  };
  const timer = setInterval(() => void refresh(), options.rescanMs ?? DEFAULT_RESCAN_MS);
  timer.unref();
  return { catalog, key, refresh, stop: () => clearInterval(timer) };
}
