/**
 * The lead's `failed_batches` table (issue 11: batches set aside as failed so
 * a run can end), for tests written before its migration is on main: created
 * here if missing, with the columns the lead announced. When the migration
 * lands, the CREATE is a no-op.
 */
import type postgres from "postgres";

export async function ensureFailedBatchesTable(sql: postgres.Sql): Promise<void> {
  await sql`
    create table if not exists failed_batches (
      run_date date not null,
      platform text not null,
      start int8 not null,
      "end" int8 not null,
      reason text,
      attempts int,
      failed_at timestamptz default now(),
      primary key (run_date, platform, start)
    )
  `;
}

/** Records a batch of `date` as set aside: it must have no run_batches row (its players were not written). */
export async function setBatchAside(
  sql: postgres.Sql,
  batch: { date: string; platform: "xbox" | "ps"; start: number; end: number; reason?: string },
): Promise<void> {
  await ensureFailedBatchesTable(sql);
  await sql`
    insert into failed_batches (run_date, platform, start, "end", reason, attempts)
    values (${batch.date}::date, ${batch.platform}, ${batch.start}, ${batch.end}, ${batch.reason ?? "test: failed everywhere"}, 3)
  `;
}
