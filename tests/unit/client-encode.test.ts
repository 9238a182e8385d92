import { expect, test } from "bun:test";
import * as v from "valibot";
import type { WgPlayer } from "@wotc/schema/wg";
import { PlayerRowSchema } from "@wotc/schema/wire/messages";
import { encodePlayer, encodePlayers, expandRange } from "../../client/src/encode";

const tanker: WgPlayer = {
  account_id: 1073745210,
  nickname: "SampleTanker-p",
  created_at: 1420070400,
  last_battle_time: 1600000000,
  updated_at: 1600000400,
  statistics: { all: { battles: 1234, wins: 640, spotted: 900, damage_dealt: 1500000, frags: 1100, dropped_capture_points: 700 } },
};

test("a WG player becomes a row in schema/player.ts order", () => {
  expect(encodePlayer(tanker)).toEqual([1073745210, "SampleTanker-p", 1420070400, 1600000000, 1600000400, 1234, 900, 640, 1500000, 1100, 700]);
});

test("an account that never fought gets last_battle_time 0", () => {
  expect(encodePlayer({ ...tanker, last_battle_time: null })[3]).toBe(0);
});

test("rows pass the server's wire schema", () => {
  expect(v.is(PlayerRowSchema, encodePlayer({ ...tanker, last_battle_time: null }))).toBe(true);
});

test("null entries (no such account) are skipped", () => {
  const rows = encodePlayers([null, tanker, null, { ...tanker, account_id: 1073745212 }]);
  expect(rows.map((row) => row[0])).toEqual([1073745210, 1073745212]);
});

test("a batch range expands to its half-open id list", () => {
  expect(expandRange(5000, 5003)).toEqual([5000, 5001, 5002]);
  expect(expandRange(5000, 5100)).toHaveLength(100);
});
