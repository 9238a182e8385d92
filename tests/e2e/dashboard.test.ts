/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core)
 * against a real tracker, client and simulator: a run progressing and the
 * client's row, pause and resume from the page, what a visitor without the
 * admin token sees and may do, and a suspended token's client leaving the
 * table.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { DAY1 } from "./crawl-support";
import { openBrowser, type TestBrowser } from "../support/browser";
import { startTestClient, startTestTracker, until, type TestTracker } from "../support/trackers";

let browser: TestBrowser;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  browser = await openBrowser();
}, 30_000);
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await browser?.close();
}, 60_000);

async function tracked(options: Parameters<typeof startTestTracker>[0]): Promise<TestTracker> {
  const t = await startTestTracker(options);
  cleanups.push(t.cleanup);
  return t;
}

async function open(url: string, adminToken?: string): Promise<Page> {
  const page = await browser.context.newPage();
  cleanups.push(() => page.close());
  if (adminToken) await page.addInitScript((token) => localStorage.setItem("wotc-admin-token", token), adminToken);
  await page.goto(url);
  return page;
}

const doneOnPage = async (page: Page) => Number((await page.getByTestId("batches-done").textContent())!.split(" / ")[0]!.replace(/,/g, ""));

describe("the operator on the tracker's own machine", () => {
  test("sees the run progress and the client's row, pauses leasing from the page (it stops) and resumes it (it goes on)", async () => {
    // 20 requests/s: the 400 batches take about 20 s, time enough to watch and pause.
    const t = await tracked({ seed: 71, day: DAY1, keyRps: 20 });
    const page = await open(`${t.url}/`);
    await expect(page.getByTestId("admin-state").textContent()).resolves.toBe("admin (this machine)");
    const client = startTestClient(t.url, await t.tracker.tokens.add("frank"), "frank-pc");
    cleanups.push(async () => void (await client.stop()));

    await page.getByTestId("run-date").filter({ hasText: DAY1 }).waitFor({ timeout: 20_000 });
    await until(() => doneOnPage(page), (done) => done >= 10, 30_000, "10 batches done on the page");
    const first = await doneOnPage(page);
    await until(() => doneOnPage(page), (done) => done > first, 10_000, "the count to grow without a reload");
    const row = page.getByTestId("volunteers-table").locator("tr", { hasText: "frank-pc" });
    await expect(row.textContent()).resolves.toContain("connected");
    expect(await row.textContent()).toContain("(token frank)");
    expect(await page.locator(".uplot canvas").count()).toBeGreaterThan(0); // the chart is drawn

    await page.getByRole("button", { name: "Pause leasing" }).click();
    await page.getByTestId("banner-paused").waitFor({ timeout: 5_000 });
    await until(() => t.tracker.status().run!.batches, (b) => b.leased + b.checking + b.held + b.writing === 0, 20_000, "nothing in flight after the pause");
    const paused = await until(() => doneOnPage(page), (done) => done === t.tracker.status().run!.batches.done, 5_000, "the page to catch up");
    await Bun.sleep(2_000);
    expect(await doneOnPage(page)).toBe(paused); // nothing new leased, nothing new done
    await expect(page.getByTestId("leasing-note").textContent()).resolves.toMatch(/^Leasing paused by 127\.0\.0\.1 \(loopback\)/);
    expect(t.lines.some((l) => l.endsWith("control: leasing paused; batches in flight are still answered and written (by 127.0.0.1 (loopback))"))).toBe(true);
    await page.getByTestId("events").getByText("control: leasing paused", { exact: false }).waitFor({ timeout: 5_000 });

    await page.getByRole("button", { name: "Resume leasing" }).click();
    await until(() => doneOnPage(page), (done) => done > paused + 5, 20_000, "batches done again after resume");
    expect(await page.getByTestId("banner-paused").count()).toBe(0);
  }, 120_000);
});

describe("a visitor without the admin token (loopback not trusted)", () => {
  const ADMIN_TOKEN = "dashboard-test-admin-token-0123456789";
  let t: TestTracker;
  beforeAll(async () => {
    t = await tracked({
      seed: 72,
      day: DAY1,
      keyRps: 10,
      config: (base) => ({ ...base, admin: { token: ADMIN_TOKEN, trustLoopback: false } }),
    });
    const client = startTestClient(t.url, await t.tracker.tokens.add("grace"), "grace-secret-name");
    cleanups.push(async () => void (await client.stop()));
    await until(() => t.tracker.status().volunteers!.length, (n) => n === 1, 20_000, "the client to connect");
  }, 60_000);

  test("sees the counts but no name, address or event, has no controls, and its requests to act are refused", async () => {
    const page = await open(`${t.url}/`);
    await page.getByTestId("volunteers-hidden").waitFor({ timeout: 20_000 });
    await page.getByTestId("run-date").waitFor();
    expect(await page.getByTestId("admin-state").textContent()).toBe("visitor");
    expect(await page.locator("body").textContent()).toContain("1 connected");
    const html = await page.content();
    expect(html).not.toContain("grace");
    expect(html).not.toContain("127.0.0.1 (");
    expect(await page.getByTestId("controls").isHidden()).toBe(true);
    expect(await page.getByRole("button", { name: "Pause leasing" }).count()).toBe(0);

    // What the page would send, sent by hand: refused without the token, and without our header or from another site.
    const tries = await page.evaluate(async () => {
      const post = (headers: Record<string, string>) => fetch("/api/admin/control/pause", { method: "POST", headers }).then((r) => r.status);
      return {
        withHeader: await post({ "x-wotc-control": "1" }),
        wrongToken: await post({ "x-wotc-control": "1", authorization: "Bearer not-the-token-at-all" }),
        get: await fetch("/api/admin/control/pause").then((r) => r.status),
      };
    });
    expect(tries).toEqual({ withHeader: 401, wrongToken: 401, get: 401 });
    // A GET never changes anything, even with the token: there is no such route.
    const getAsAdmin = await fetch(`${t.url}/api/admin/control/pause`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "x-wotc-control": "1" } });
    expect(getAsAdmin.status).toBe(404);
    const crossSite = await fetch(`${t.url}/api/admin/control/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "x-wotc-control": "1", origin: "http://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const noHeader = await fetch(`${t.url}/api/admin/control/pause`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(noHeader.status).toBe(403);
    expect(t.tracker.status().leasing.state).toBe("open");
    const visitorJson = await (await fetch(`${t.url}/api/dashboard`)).text();
    expect(visitorJson).not.toContain("grace");
  }, 60_000);

  test("entering the admin token once shows the names and the controls, and is kept across a reload", async () => {
    const page = await open(`${t.url}/`);
    await page.getByTestId("volunteers-hidden").waitFor({ timeout: 20_000 });
    await page.getByLabel("admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("volunteers-table").getByText("grace-secret-name").waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("admin-state").textContent()).toBe("admin (token)");
    await page.reload();
    await page.getByTestId("volunteers-table").getByText("grace-secret-name").waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: "Pause leasing" }).click();
    await until(() => t.tracker.status().leasing.state, (s) => s === "paused", 5_000, "leasing to pause");
    expect(t.tracker.status().leasing.by).toBe("admin token (from 127.0.0.1)");
  }, 60_000);
});

describe("suspending a token", () => {
  test("its client disappears from the table, its batches are leased again, and it cannot come back until reinstated", async () => {
    const t = await tracked({ seed: 73, day: DAY1, keyRps: 20 });
    const page = await open(`${t.url}/`);
    const good = startTestClient(t.url, await t.tracker.tokens.add("heidi"), "heidi-pc");
    const bad = startTestClient(t.url, await t.tracker.tokens.add("ivan"), "ivan-pc");
    cleanups.push(async () => void (await Promise.all([good.stop(), bad.stop()])));
    const rows = page.getByTestId("volunteers-table");
    await rows.getByText("ivan-pc").waitFor({ timeout: 20_000 });
    await page.locator('button[data-action="suspend"][data-name="ivan"]').click();
    await until(() => t.tracker.status().volunteers!.find((v) => v.name === "ivan-pc")?.connected, (c) => c === false, 10_000, "ivan to be disconnected");
    await until(async () => (await rows.locator("tr", { hasText: "ivan-pc" }).textContent()) ?? "", (text) => /left/.test(text), 10_000, "ivan's row to say it left");
    expect(await rows.locator('button[data-action="suspend"][data-name="ivan"]').count()).toBe(0);
    expect(t.lines.some((l) => /control: token ivan suspended \(by 127\.0\.0\.1 \(loopback\)\)/.test(l))).toBe(true);
    // A suspended token's row offers to crawl its batches again (those nobody confirmed; here heidi checked them all).
    await rows.locator('button[data-action="recrawl"][data-name="ivan"]').click();
    await page.getByText(/batch(es)? answered by ivan today (is|are) crawled again by other clients/).waitFor({ timeout: 10_000 });
    expect(t.lines.some((l) => /control: re-crawl of token ivan's batches \(by 127\.0\.0\.1 \(loopback\)\)/.test(l))).toBe(true);
    // It cannot come back while suspended: the client is told why and gives up.
    expect((await bad.exit).code).toBe(1);
    expect(bad.lines.join("\n")).toContain("token ivan is suspended");
    expect(await t.tracker.control("reinstate", "ivan", "test")).toEqual({ ok: true, message: "ivan reinstated; its client may connect again" });
    const result = await t.tracker.finished; // heidi finishes the day alone
    expect(result.code).toBe(0);
    const [{ n }] = await t.db.sql<{ n: number }[]>`select count(*)::int as n from run_batches`;
    expect(n).toBe(400); // ivan's leased batches were crawled again by heidi
  }, 120_000);
});
