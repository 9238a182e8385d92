/** How client versions compare: for `clients.minVersion` and for the client's "never go back". */
import { expect, test } from "bun:test";
import { compareVersions, parseVersion } from "@wotc/schema/wire/client-version";

/** Every version in this list is older than the next. */
const ASCENDING = [
  "0.1.0-rc.1",
  "0.1.0-rc.2",
  "0.1.0-rc.10",
  "0.1.0",
  "0.1.0+20261127T214910Z",
  "0.1.0+20261128T000000Z",
  "0.1.1",
  "0.2.0-a",
  "0.2.0-b",
  "0.2.0",
  "0.10.0",
  "1.0.0",
];

test("versions sort as semver says, and later builds of one version after it", () => {
  for (let i = 0; i < ASCENDING.length; i++) {
    for (let j = 0; j < ASCENDING.length; j++) {
      const order = Math.sign(compareVersions(ASCENDING[i]!, ASCENDING[j]!));
      expect([ASCENDING[i], ASCENDING[j], order]).toEqual([ASCENDING[i], ASCENDING[j], Math.sign(i - j)]);
    }
  }
});

test("a bare version as a minimum admits every build of it; a build as a minimum refuses the builds before it", () => {
  expect(compareVersions("0.2.0+20260101T000000Z", "0.2.0")).toBeGreaterThan(0);
  expect(compareVersions("0.2.0+20260101T000000Z", "0.2.0+20260102T000000Z")).toBeLessThan(0);
  expect(compareVersions("0.2.0+20260102T000000Z", "0.2.0+20260102T000000Z")).toBe(0);
});

test("what is not a version is named", () => {
  expect(parseVersion("1.2")).toBeUndefined();
  expect(parseVersion("01.2.3")).toBeUndefined();
  expect(parseVersion("1.2.3 beta")).toBeUndefined();
  expect(parseVersion("1.2.3-rc.1+b.7")).toEqual({ core: [1, 2, 3], prerelease: ["rc", "1"], build: ["b", "7"] });
  expect(() => compareVersions("dev", "1.0.0")).toThrow('"dev" is not a version (MAJOR.MINOR.PATCH');
});
