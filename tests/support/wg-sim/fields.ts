/**
 * The `fields` parameter: dot paths select sub-trees, a leading `-` removes
 * them, omitted means everything (wg-api.md §2). A parsed selection is
 * compiled once into a flat JSON template — literal text between leaf values —
 * so writing a player is one pass of string concatenation.
 */
import { type FieldNode, type LeafValue, PLAYER_FIELDS } from "./player-object.ts";
import type { PlayerState } from "./world.ts";

export const MAX_FIELDS = 100;

export type FieldsError = "INVALID_FIELDS" | "FIELDS_LIST_LIMIT_EXCEEDED";

/** A compiled selection: literals[0] leaf[0] literals[1] … leaf[n-1] literals[n]. */
export class Projection {
  constructor(
    private readonly literals: string[],
    private readonly leaves: LeafValue[],
  ) {}

  /** The player object as JSON text, restricted to the selection. */
  write(player: PlayerState): string {
    const { literals, leaves } = this;
    let out = literals[0];
    for (let i = 0; i < leaves.length; i++) {
      const v = leaves[i](player);
      // Nicknames hold only [A-Za-z0-9_-] (nickname.ts), so quoting needs no escaping.
      out += (typeof v === "string" ? '"' + v + '"' : v) + literals[i + 1];
    }
    return out;
  }
}

type Part = string | LeafValue;

/** Parse and compile a `fields` value; null or blank selects every field. */
export function compileFields(fields: string | null): Projection | FieldsError {
  const entries = (fields ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (entries.length > MAX_FIELDS) return "FIELDS_LIST_LIMIT_EXCEEDED";
  const includes = new Set<string>();
  const excludes = new Set<string>();
  for (const entry of entries) {
    const exclude = entry.startsWith("-");
    const path = exclude ? entry.slice(1) : entry;
    if (!pathExists(path)) return "INVALID_FIELDS";
    (exclude ? excludes : includes).add(path);
  }
  const parts = emitObject(PLAYER_FIELDS, "", includes.size === 0, { includes, excludes }) ?? ["{}"];
  return toProjection(parts);
}

function pathExists(path: string): boolean {
  let node: FieldNode | undefined = PLAYER_FIELDS;
  for (const key of path.split(".")) {
    node = node.children?.find((c) => c.key === key);
    if (!node) return false;
  }
  return true;
}

interface Selection {
  includes: Set<string>;
  excludes: Set<string>;
}

function emitNode(node: FieldNode, path: string, included: boolean, sel: Selection): Part[] | null {
  if (sel.excludes.has(path)) return null;
  const selected = included || sel.includes.has(path);
  if (!selected && !hasIncludedDescendant(path, sel)) return null;
  if (node.alwaysNull) return ["null"];
  if (node.value) return [node.value];
  return emitObject(node, path, selected, sel);
}

/** An object's fields, or null when the selection leaves none of them (the key is then omitted). */
function emitObject(node: FieldNode, path: string, included: boolean, sel: Selection): Part[] | null {
  const parts: Part[] = [];
  for (const child of node.children ?? []) {
    const childPath = path === "" ? child.key : `${path}.${child.key}`;
    const value = emitNode(child, childPath, included, sel);
    if (value === null) continue;
    parts.push(`${parts.length === 0 ? "{" : ","}${JSON.stringify(child.key)}:`, ...value);
  }
  if (parts.length === 0) return null;
  parts.push("}");
  return parts;
}

function hasIncludedDescendant(path: string, sel: Selection): boolean {
  const prefix = path === "" ? "" : `${path}.`;
  for (const p of sel.includes) if (p.startsWith(prefix)) return true;
  return false;
}

function toProjection(parts: Part[]): Projection {
  const literals = [""];
  const leaves: LeafValue[] = [];
  for (const part of parts) {
    if (typeof part === "string") literals[literals.length - 1] += part;
    else {
      leaves.push(part);
      literals.push("");
    }
  }
  return new Projection(literals, leaves);
}

/**
 * Compiled selections by their raw `fields` text. Clients send the same text
 * on every request, so this stays tiny; it is cleared if a caller floods it.
 */
export class ProjectionCache {
  private readonly compiled = new Map<string, Projection | FieldsError>();

  constructor(private readonly limit = 256) {}

  get(fields: string | null): Projection | FieldsError {
    const key = fields ?? "";
    let found = this.compiled.get(key);
    if (found === undefined) {
      if (this.compiled.size >= this.limit) this.compiled.clear();
      found = compileFields(fields);
      this.compiled.set(key, found);
    }
    return found;
  }
}
