/**
 * A batch set aside as failed (issue 11), written straight into the database
 * for tests made before the run that sets batches aside is on main: no
 * run_batches row and no player rows for the batch, and its failed_batches
 * row, which is what such a run leaves.
 */
import type postgres from "postgres";

export async function setBatchAside(
  sql: postgres.Sql,
  batch: { date: string; platform: "xbox" | "ps"; start: number; end: number; reason?: string },
): Promise<void> {
  await sql`
    insert into failed_batches (run_date, platform, start, "end", reason, attempts)
    values (${batch.date}::date, ${batch.platform}, ${batch.start}, ${batch.end}, ${batch.reason ?? "test: failed everywhere"}, 3)
  `;
}
