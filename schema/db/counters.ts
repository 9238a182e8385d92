/**
 * The six statistics counters, shared by `players`, `total_battles` and
 * `diff_battles` so the three tables cannot drift apart. damage_dealt is int8:
 * a busy account passes 2^31 damage; the others stay far below int4.
 */
import { bigint, integer } from "drizzle-orm/pg-core";

export function counterColumns() {
  return {
    battles: integer("battles").notNull(),
    spotted: integer("spotted").notNull(),
    wins: integer("wins").notNull(),
    damageDealt: bigint("damage_dealt", { mode: "number" }).notNull(),
    frags: integer("frags").notNull(),
    droppedCapturePoints: integer("dropped_capture_points").notNull(),
  };
}
