import type { Sql } from "../client.ts";

/**
 * The accounts already in `players` within [min, max), by 100-ID block: one
 * row per block with the offsets of its accounts, so a full-size platform
 * (15 million players) comes back as ~150,000 small rows, not 15 million.
 */
export async function knownAccountBlocks(
  sql: Sql,
  range: { min: number; max: number },
  blockSize: number,
  each: (block: number, offsets: number[]) => void,
): Promise<void> {
  const cursor = sql<{ block: number; offsets: number[] }[]>`
    select ((account_id - ${range.min}) / ${blockSize})::int4 as block,
           array_agg(((account_id - ${range.min}) % ${blockSize})::int4) as offsets
    from players
    where account_id >= ${range.min} and account_id < ${range.max}
    group by 1
  `.cursor(5_000);
  for await (const rows of cursor) for (const row of rows) each(row.block, row.offsets);
}
