/**
 * The WG `account/info` player object (wg-api.md §3), as a tree of fields. The
 * full object, the field filter and the JSON writer all walk this one tree, so
 * a field exists in the answer exactly when `fields=` accepts its path.
 */
import type { PlayerRow } from "@wotc/schema/player";
import { globalRating, losses, perBattle, record, recordTankId, shots } from "./stats.ts";
import type { PlayerState } from "./world.ts";

export type LeafValue = (player: PlayerState) => number | string;

export interface FieldNode {
  key: string;
  /** Set on leaves. */
  value?: LeafValue;
  /** Owner-only data: always null without an access_token, but its sub-fields can still be named. */
  alwaysNull?: true;
  children?: FieldNode[];
}

const leaf = (key: string, value: LeafValue): FieldNode => ({ key, value });
const nullObject = (key: string, children: FieldNode[] = []): FieldNode => ({ key, alwaysNull: true, children });

/** The 13 lifetime counters of `statistics.all` (and of the owner-only `statistics.company`). */
const allCounters = (): FieldNode[] => [
  leaf("battles", (p) => p.battles),
  leaf("wins", (p) => perBattle(p, "wins")),
  leaf("losses", losses),
  leaf("spotted", (p) => perBattle(p, "spotted")),
  leaf("damage_dealt", (p) => perBattle(p, "damage_dealt")),
  leaf("damage_received", (p) => perBattle(p, "damage_received")),
  leaf("frags", (p) => perBattle(p, "frags")),
  leaf("hits", (p) => perBattle(p, "hits")),
  leaf("shots", shots),
  leaf("capture_points", (p) => perBattle(p, "capture_points")),
  leaf("dropped_capture_points", (p) => perBattle(p, "dropped_capture_points")),
  leaf("survived_battles", (p) => perBattle(p, "survived_battles")),
  leaf("xp", (p) => perBattle(p, "xp")),
];

export const PLAYER_FIELDS: FieldNode = {
  key: "",
  children: [
    leaf("account_id", (p) => p.id),
    leaf("nickname", (p) => p.nickname),
    leaf("created_at", (p) => p.createdAt),
    leaf("last_battle_time", (p) => p.lastBattleTime),
    leaf("updated_at", (p) => p.updatedAt),
    leaf("global_rating", globalRating),
    nullObject("private"),
    {
      key: "statistics",
      children: [
        { key: "all", children: allCounters() },
        nullObject("company", allCounters()),
        nullObject("frags"),
        leaf("max_damage", (p) => record(p, "damage_dealt")),
        leaf("max_damage_tank_id", (p) => recordTankId(p, 1)),
        leaf("max_frags", (p) => record(p, "frags")),
        leaf("max_frags_tank_id", (p) => recordTankId(p, 2)),
        leaf("max_xp", (p) => record(p, "xp")),
        leaf("max_xp_tank_id", (p) => recordTankId(p, 3)),
        leaf("trees_cut", (p) => perBattle(p, "trees_cut")),
        leaf("piercings", (p) => perBattle(p, "piercings")),
        leaf("piercings_received", (p) => perBattle(p, "piercings_received")),
        leaf("explosion_hits", (p) => perBattle(p, "explosion_hits")),
        leaf("explosion_hits_received", (p) => perBattle(p, "explosion_hits_received")),
        leaf("direct_hits_received", (p) => perBattle(p, "direct_hits_received")),
        leaf("no_damage_direct_hits_received", (p) => perBattle(p, "no_damage_direct_hits_received")),
        leaf("damage_assisted_radio", (p) => perBattle(p, "damage_assisted_radio")),
        leaf("damage_assisted_track", (p) => perBattle(p, "damage_assisted_track")),
        leaf("damage_assisted_wheel", (p) => perBattle(p, "damage_assisted_wheel")),
      ],
    },
  ],
};

type JsonObject = { [key: string]: JsonValue };
type JsonValue = number | string | null | JsonObject;

function build(node: FieldNode, player: PlayerState): JsonValue {
  if (node.alwaysNull) return null;
  if (node.value) return node.value(player);
  const out: JsonObject = {};
  for (const child of node.children ?? []) out[child.key] = build(child, player);
  return out;
}

/** The complete player object WG would answer with no `fields` parameter. */
export function playerObject(player: PlayerState): JsonObject {
  return build(PLAYER_FIELDS, player) as JsonObject;
}

/** The compact row a client sends for this player (schema/player.ts order). */
export function playerRow(p: PlayerState): PlayerRow {
  return [
    p.id,
    p.nickname,
    p.createdAt,
    p.lastBattleTime,
    p.updatedAt,
    p.battles,
    perBattle(p, "spotted"),
    perBattle(p, "wins"),
    perBattle(p, "damage_dealt"),
    perBattle(p, "frags"),
    perBattle(p, "dropped_capture_points"),
  ];
}
