/**
 * Starts one embedded PostgreSQL for the whole `bun test` run, in a fresh
 * temporary directory on a free port (several runs may share the machine),
 * migrates a template database once, and publishes both for
 * tests/support/db.ts:
 *   WOTC_TEST_PG_URL       admin URL of the cluster
 *   WOTC_TEST_PG_TEMPLATE  the migrated template database
 * With WOTC_TEST_PG_URL already set, that server is used instead (its own
 * template, dropped at the end). WOTC_TEST_KEEP_DB=1 keeps the cluster and the
 * suites' databases for inspection and prints where they are.
 */
import { afterAll } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openClient } from "../../server/src/db/client.ts";
import { startEmbeddedPostgres } from "../../server/src/db/embedded.ts";
import { migrateDatabase } from "../../server/src/db/migrate.ts";
import { databaseUrl } from "../support/db.ts";

const keep = process.env.WOTC_TEST_KEEP_DB === "1";
const external = process.env.WOTC_TEST_PG_URL;
const tempDir = external ? undefined : await mkdtemp(join(tmpdir(), "wotc-test-pg-"));
const server = tempDir
  ? await startEmbeddedPostgres({ dataDir: tempDir, persistent: keep, durable: false, settings: { max_connections: "200" } })
  : undefined;
const adminUrl = external ?? server!.url;
const template = `wotc_template_${process.pid}_${Date.now().toString(36)}`;

const admin = openClient(adminUrl, { max: 1 });
await admin.unsafe(`create database ${template}`);
await admin.end();
await migrateDatabase(databaseUrl(adminUrl, template));

process.env.WOTC_TEST_PG_URL = adminUrl;
process.env.WOTC_TEST_PG_TEMPLATE = template;

afterAll(async () => {
  if (keep) {
    console.error(`WOTC_TEST_KEEP_DB: test cluster kept in ${tempDir ?? adminUrl} (template ${template})`);
    await server?.stop();
    return;
  }
  if (external) {
    const sql = openClient(adminUrl, { max: 1 });
    await sql.unsafe(`drop database if exists ${template} with (force)`);
    await sql.end();
  }
  await server?.stop();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});
