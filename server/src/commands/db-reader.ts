/**
 * `bun run server db reader NAME`: a read-only role for analysts (Grafana,
 * notebooks). Its connection URL is alone on the last line of stdout, like
 * `token add`'s token; the password is also kept 0600 under the data dir.
 */
import { createReader, RoleError } from "../db/roles";
import type { ToolDeps } from "./run";

export async function runDbReader({ config, database }: ToolDeps, name: string): Promise<number> {
  try {
    const reader = await createReader(database, config.server.dataDir, name);
    console.log(
      `${reader.reset ? `reader ${name} existed: it has a new password` : `created reader ${name}`}: it may read the tracker's tables (not client_tokens) and change nothing; password kept in ${reader.passwordFile}`,
    );
    if (database.source === "embedded") {
      console.log("the embedded PostgreSQL listens on 127.0.0.1 only, and only while the tracker runs (bun run server --serve); it keeps its port");
    }
    console.log(`connection URL for ${name}:`);
    console.log(reader.url);
    return 0;
  } catch (error) {
    if (!(error instanceof RoleError)) throw error;
    console.error(`error: ${error.message}`);
    return 1;
  }
}
