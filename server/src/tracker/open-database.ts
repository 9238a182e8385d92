/**
 * The tracker's database, ready to use: found (an explicit URL, the config,
 * DATABASE_URL, else the embedded PostgreSQL under dataDir), checked and
 * migrated, each step said. `bun run server token …` opens it the same way.
 */
import { isAbsolute, join, relative } from "node:path";
import { connectDatabase, type Database } from "../db/connect";
import { migrateDatabase } from "../db/migrate";

export interface OpenDatabaseOptions {
  /** Wins over the config's `database.url` and DATABASE_URL. */
  url?: string | null;
  configUrl: string | null;
  dataDir: string;
  env?: Record<string, string | undefined>;
  log: (line: string) => void;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const database = await connectDatabase({ configUrl: options.url ?? options.configUrl, dataDir: options.dataDir, env: options.env });
  if (database.source === "embedded") options.log(`started the embedded PostgreSQL in ${shownPath(join(options.dataDir, "postgres"))}`);
  try {
    await migrateDatabase(database.url);
  } catch (error) {
    await database.close();
    throw error;
  }
  options.log(`database ready (${database.source}): migrations applied`);
  return database;
}

/** dataDir comes resolved against the config file: shown as the operator would type it when it is under the working directory. */
function shownPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path;
}
