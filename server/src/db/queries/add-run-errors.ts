import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/** Adds errors by kind to the run's row as they happen, so a restart does not forget them. */
export async function addRunErrors(sql: Sql, runDate: string, counts: Record<string, number>): Promise<void> {
  assertRunDate(runDate);
  const added = Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
  const total = Object.values(added).reduce((sum, n) => sum + n, 0);
  if (Object.keys(added).length === 0) return;
  await sql`
    update runs r set
      errors = r.errors + ${total},
      error_counts = r.error_counts || (
        select jsonb_object_agg(e.key, coalesce((r.error_counts ->> e.key)::int, 0) + e.value::int)
        from jsonb_each_text(${sql.json(added)}::jsonb) as e
      )
    where run_date = ${runDate}::date`;
}
