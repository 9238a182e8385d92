import { expect, test } from "bun:test";
import { playerRowsIssue } from "@wotc/schema/player-code";
import { encodePlayer, expandRange } from "../../client/src/encode";

const tanker = {
  account_id: 1073745210,
  nickname: "SampleTanker-p",
  created_at: 1420070400,
  last_battle_time: 1600000000 as number | null,
  updated_at: 1600000400,
  statistics: { all: { battles: 1234, wins: 640, spotted: 900, damage_dealt: 1500000, frags: 1100, dropped_capture_points: 700 } },
};

test("a WG player becomes a row in schema/player.ts order", () => {
  expect(encodePlayer(tanker)).toEqual([1073745210, "SampleTanker-p", 1420070400, 1600000000, 1600000400, 1234, 900, 640, 1500000, 1100, 700]);
});

test("an account that never fought gets last_battle_time 0", () => {
  expect(encodePlayer({ ...tanker, last_battle_time: null })[3]).toBe(0);
});

test("rows pass the server's wire check", () => {
  expect(playerRowsIssue([encodePlayer({ ...tanker, last_battle_time: null })])).toBeUndefined();
});

test("a malformed player object is refused, naming the field", () => {
  const bad = { ...tanker, statistics: { all: { ...tanker.statistics.all, wins: "640" } } };
  expect(() => encodePlayer(bad)).toThrow('statistics.all.wins: Invalid type: Expected number but received "640"');
  expect(() => encodePlayer({ ...tanker, statistics: null })).toThrow("statistics: Invalid type: Expected Object but received null");
  expect(() => encodePlayer({ ...tanker, nickname: "x".repeat(65) })).toThrow("nickname: Invalid length: Expected <=64 but received 65");
});

test("a batch range expands to its half-open id list", () => {
  expect(expandRange(5000, 5003)).toEqual([5000, 5001, 5002]);
  expect(expandRange(5000, 5100)).toHaveLength(100);
});
