/**
 * `bun run demo --once` as a new user runs it on a fresh clone: the dashboard
 * URL first, two simulated days crawled by two clients into an embedded
 * PostgreSQL of its own, each day's summary, exit 0, and its temporary data
 * directory gone afterwards.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { spawnProc } from "../support/processes";
import { demoDays } from "../../demo/demo-setup";

test("bun run demo --once crawls two days, prints the URL first and both summaries, and exits 0", async () => {
  const demo = spawnProc(["bun", "run", "demo", "--once", "--port", "0"], { DATABASE_URL: undefined });
  const code = await Promise.race([demo.exited, Bun.sleep(170_000).then(() => "timed out" as const)]);
  if (code !== 0) demo.kill("SIGKILL");
  const out = demo.stdout();
  expect({ code, tail: code === 0 ? "" : demo.output().slice(-3000) }).toEqual({ code: 0, tail: "" });
  const lines = out.trim().split("\n");
  expect(lines[0]).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/);
  const [day1, day2] = demoDays();
  for (const day of [day1, day2]) expect(out).toMatch(new RegExp(`^run ${day} complete in `, "m"));
  // 100,000 IDs per platform each day, and day 2 has changes to show (active players, battles played).
  expect(out.match(/IDs queried 100,000, players found [\d,]+/g)).toHaveLength(4);
  const day2Summary = out.slice(out.indexOf(`run ${day2} complete in`));
  expect(day2Summary).toMatch(/active players [1-9][\d,]*, battles played [1-9]/);
  expect(out).toContain(`demo: done (2 runs: ${day1}, ${day2})`);
  const dataDir = /data in (\S+)/.exec(out)![1]!;
  expect(existsSync(dataDir)).toBe(false);
}, 180_000);
