/** The simulator counts requests per application_id, so a test can see which key a client used and at what pace. */
import { describe, expect, test } from "bun:test";
import { Simulator } from "../support/wg-sim/simulator.ts";

const ask = (sim: Simulator, key: string) => sim.handle(new Request(`http://wg.test/wotx/account/info/?application_id=${key}&account_id=5000,5001`));

describe("per-key stats", () => {
  test("requests, ok answers and refusals are counted for each key, an unknown key included", async () => {
    const sim = new Simulator({ keys: [{ applicationId: "operator", rps: null }, { applicationId: "volunteer", rps: 2 }] });
    for (let i = 0; i < 3; i++) await ask(sim, "operator");
    for (let i = 0; i < 3; i++) await ask(sim, "volunteer"); // a bucket of 2: the third is refused
    await ask(sim, "unknown");
    const { byKey, requests, ok, rateLimited } = sim.stats();
    expect(byKey.operator).toMatchObject({ requests: 3, ok: 3, rateLimited: 0 });
    expect(byKey.volunteer).toMatchObject({ requests: 3, ok: 2, rateLimited: 1 });
    expect(byKey.unknown).toMatchObject({ requests: 1, ok: 0, rateLimited: 0 });
    expect([requests, ok, rateLimited]).toEqual([7, 5, 1]);
    sim.resetStats();
    expect(sim.stats().byKey).toEqual({});
  });

  test("the busiest second is the most requests of one key within any 1,000 ms", async () => {
    const sim = new Simulator({ keys: ["paced", "burst"] });
    for (let i = 0; i < 6; i++) {
      await ask(sim, "paced");
      await Bun.sleep(260); // under 4 a second
    }
    await Promise.all(Array.from({ length: 9 }, () => ask(sim, "burst")));
    const { byKey } = sim.stats();
    expect(byKey.paced!.busiestSecond).toBeLessThanOrEqual(4);
    expect(byKey.paced!.busiestSecond).toBeGreaterThanOrEqual(3);
    expect(byKey.burst!.busiestSecond).toBe(9);
    expect(byKey.paced!.lastAt - byKey.paced!.firstAt).toBeGreaterThanOrEqual(5 * 250);
  });
});
