/**
 * Readable, deterministic nicknames. Only [A-Za-z0-9_-] is produced, so the
 * serializer can quote a nickname without escaping it.
 */
import { derive } from "./hash.ts";

const SYLLABLES = [
  "ka", "ro", "vin", "tar", "mel", "sho", "dra", "ke", "lu", "zan", "bor", "fi", "gra", "nox", "pe", "ril",
  "sa", "tun", "vex", "wo", "yar", "zu", "bri", "cal", "dun", "eth", "fro", "gal", "hex", "jin", "kro", "mor",
];
const WORDS = ["Tank", "Ace", "Gunner", "Wolf", "Steel", "Hawk", "Bear", "Viper"];
const SALT_NAME = 11;

/**
 * `suffix` is the platform tag WG appends since cross-play (`-x` Xbox, `-p`
 * PlayStation), or "" for the few names that carry none.
 */
export function nicknameOf(key: number, suffix: "" | "-x" | "-p"): string {
  const h = derive(key, SALT_NAME);
  const h2 = derive(key, SALT_NAME, 1);
  const syllables = 2 + (h & 1);
  let name = "";
  for (let i = 0; i < syllables; i++) name += SYLLABLES[(h >>> (1 + 5 * i)) & 31];
  name = name[0].toUpperCase() + name.slice(1);
  switch (h2 & 3) {
    case 0:
    case 1:
      name += String((h2 >>> 2) % 10_000);
      break;
    case 2:
      name += "_" + WORDS[(h2 >>> 2) & 7];
      break;
    default:
      break; // a bare name
  }
  return name + suffix;
}
