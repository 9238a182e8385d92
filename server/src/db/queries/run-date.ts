const RUN_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A run date is a UTC day written YYYY-MM-DD; anything else is a caller's bug, reported before it reaches SQL. */
export function assertRunDate(runDate: string): void {
  if (!RUN_DATE.test(runDate) || Number.isNaN(Date.parse(`${runDate}T00:00:00Z`))) {
    throw new Error(`run date must be a UTC day as YYYY-MM-DD, got ${JSON.stringify(runDate)}`);
  }
}
