/**
 * The compact player row that a client sends for each account it found.
 * A tuple, not an object: a batch carries up to 100 of them and keys would
 * more than double the bytes on the wire.
 */
export type PlayerRow = [
  accountId: number,
  nickname: string,
  createdAt: number, // unix seconds, UTC
  lastBattleTime: number,
  updatedAt: number,
  battles: number,
  spotted: number,
  wins: number,
  damageDealt: number,
  frags: number,
  droppedCapturePoints: number,
];

export const COUNTERS = ["battles", "spotted", "wins", "damage_dealt", "frags", "dropped_capture_points"] as const;
export type Counter = (typeof COUNTERS)[number];
/** The six counters as columns of a row, named as in the tables. */
export type CounterColumns = Record<Counter, number>;

export const PLATFORMS = ["xbox", "ps"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** The fields the crawler asks WG for (the original tracker's list). */
export const WG_FIELDS = [
  "created_at",
  "account_id",
  "last_battle_time",
  "nickname",
  "updated_at",
  "statistics.all.spotted",
  "statistics.all.battles",
  "statistics.all.wins",
  "statistics.all.damage_dealt",
  "statistics.all.frags",
  "statistics.all.dropped_capture_points",
] as const;

/**
 * The platform of an account: the nickname suffix wins (cross-play made it the
 * only reliable signal), else the platform whose ID range was being crawled.
 */
export function consoleOf(nickname: string, crawledPlatform: Platform): Platform {
  if (nickname.endsWith("-x")) return "xbox";
  if (nickname.endsWith("-p")) return "ps";
  return crawledPlatform;
}
