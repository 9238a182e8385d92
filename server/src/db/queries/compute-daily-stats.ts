import { PLATFORMS, type Platform } from "@wotc/schema/player";
import type { PlayerFigures } from "./run-summary.ts";
import type { Sql } from "../client.ts";
import type { LedgerCounts } from "./day-ledger.ts";
import { assertRunDate } from "./run-date.ts";

/** What the day's computation needs besides the player tables; worked out by the caller (server/src/stats/compute.ts). */
export interface DayContext {
  date: string;
  /** p, the previous crawled date; null on the first. */
  previousDate: string | null;
  /** date - previousDate in days; null on the first. */
  spanDays: number | null;
  complete: boolean;
  ledger: Record<Platform, LedgerCounts>;
}

/** The stored figures of one platform row, as the summary line shows them. */
export interface ComputedRow {
  platform: "xbox" | "ps" | "all";
  active_accounts: number;
  battles: number;
  new_accounts: number;
  newly_tracked: number;
}

/**
 * Computes and stores the date's rows of daily_stats (xbox, ps, all) and
 * daily_stats_created_year, replacing what was there, in one transaction.
 *
 * Everything comes from the date's total_battles partition: every account
 * written that day has a row there (a new account always; a known one when
 * its battles changed, and then it has a diff_battles row too), so the day's
 * first-seen accounts and active accounts are all in it. `players` is joined
 * for first_seen and created_at only (on a full-size day the planner hashes
 * the day's 1.7M rows and probes them with one parallel pass over players;
 * bench/daily-stats.ts times it). This runs once per date, after its run;
 * the endpoints and the export read the stored rows and never touch
 * `players`. An account's console is the one written with its rows
 * that day, and first_seen/created_at never change, so a recompute months
 * later gives the same figures.
 *
 * Per account: `played` is its diff_battles battles (0 without a row), and
 *   known          first seen before the date: active when played > 0;
 *   new            first seen on the date, created on or after the day after
 *                  p: active when played > 0 (its diff row is its totals);
 *   newly_tracked  first seen on the date and created before (every account
 *                  on the first date): counted there and nowhere else.
 * The per-year grouping (a temporary table of a few dozen rows) is the finest
 * one; the year rows and the day rows are its sums.
 */
export interface ComputedDay {
  rows: ComputedRow[];
  /**
   * The run summary's player figures by console, counted in the same pass
   * (first seen on the date; with a diff_battles row; their battles), so the
   * summary need not scan `players` and the day's diffs once more. The console
   * is the one written with the day's rows, which is the players row's unless
   * a later date was crawled before this one.
   */
  players: Record<Platform, PlayerFigures>;
}

export async function computeDailyStats(sql: Sql, day: DayContext): Promise<ComputedDay> {
  assertRunDate(day.date);
  if (day.previousDate !== null) assertRunDate(day.previousDate);
  // xbox, ps, all: the ledger counts in the order of the platform list below
  const { xbox, ps } = day.ledger;
  const batches = [xbox.batches, ps.batches, xbox.batches + ps.batches];
  const committed = [xbox.committed, ps.committed, xbox.committed + ps.committed];
  const failed = [xbox.failed, ps.failed, xbox.failed + ps.failed];
  return sql.begin(async (tx) => {
    // The date is a parameter: a generic plan would have to keep every partition of the day tables.
    await tx`set local plan_cache_mode = force_custom_plan`;
    // The day's hashes (about 1.7 million accounts on a full-size day) stay in memory instead of
    // spilling in 16 batches; and the planner, which cannot know that a creation year has a dozen
    // values, would otherwise sort the whole day for the grouping.
    await tx`set local work_mem = '256MB'`;
    // The first date of all: nobody was seen before, so every account with a row that day is
    // first seen (an account first seen later has none: writing an earlier date after a later
    // one cannot lower its counters, WT001), newly tracked, and not active. Counting the rows
    // says as much without joining the whole population to itself (57 s for 15 million
    // accounts, against a few); checked first, else the general pass runs.
    const firstOfAll =
      day.previousDate === null && !(await tx`select exists (select from players where first_seen < ${day.date}::date) as seen`)[0]!.seen;
    if (firstOfAll) {
      await tx`
        create temporary table day_groups on commit drop as
        select console, null::int as created_year, 0::int8 as active_accounts, 0::int8 as battles, 0::int8 as new_accounts,
          count(*) as newly_tracked, 0::int8 as active_1_4, 0::int8 as active_5_9, 0::int8 as active_10_19,
          0::int8 as active_20_49, 0::int8 as active_50plus,
          count(*) as first_seen_today, 0::int8 as with_diff, 0::numeric as diff_battles
        from total_battles where date = ${day.date}::date
        group by console
      `;
      // The summary's diff figures: one pass over the day's diffs, not a join of them to the day
      await tx`
        update day_groups g set with_diff = d.n, diff_battles = d.battles
        from (select console, count(*) as n, sum(battles) as battles from diff_battles where date = ${day.date}::date group by console) d
        where d.console = g.console
      `;
    } else {
      // The one pass over the day. CREATE TABLE AS may run in parallel workers, which an INSERT
      // with the same SELECT (or a data-modifying WITH) never does.
      await tx`
        create temporary table day_groups on commit drop as
        with classified as (
          select
            t.console,
            extract(year from pl.created_at at time zone 'UTC')::int as created_year,
            coalesce(df.battles, 0) as played,
            df.account_id is not null as has_diff,
            case
              when pl.first_seen <> ${day.date}::date then 'known'
              when ${day.previousDate}::date is not null
                and pl.created_at >= ((${day.previousDate}::date + 1)::timestamp at time zone 'UTC') then 'new'
              else 'newly_tracked'
            end as kind
          from total_battles t
          join players pl on pl.account_id = t.account_id
          left join diff_battles df on df.account_id = t.account_id and df.date = ${day.date}::date
          where t.date = ${day.date}::date
        ),
        marked as (
          select *, played > 0 and kind <> 'newly_tracked' as active from classified
        )
        select console, created_year,
          count(*) filter (where active) as active_accounts,
          coalesce(sum(played) filter (where active), 0) as battles,
          count(*) filter (where kind = 'new') as new_accounts,
          count(*) filter (where kind = 'newly_tracked') as newly_tracked,
          count(*) filter (where active and played < 5) as active_1_4,
          count(*) filter (where active and played between 5 and 9) as active_5_9,
          count(*) filter (where active and played between 10 and 19) as active_10_19,
          count(*) filter (where active and played between 20 and 49) as active_20_49,
          count(*) filter (where active and played >= 50) as active_50plus,
          count(*) filter (where kind <> 'known') as first_seen_today,
          count(*) filter (where has_diff) as with_diff,
          coalesce(sum(played), 0) as diff_battles
        from marked
        group by console, created_year
      `;
    }
    await tx`delete from daily_stats_created_year where date = ${day.date}::date`;
    await tx`delete from daily_stats where date = ${day.date}::date`;
    await tx`
      insert into daily_stats_created_year (date, platform, created_year, active_accounts, battles)
      select ${day.date}::date, coalesce(console, 'all'), created_year, sum(active_accounts), sum(battles)
      from day_groups
      group by grouping sets ((console, created_year), (created_year))
      having sum(active_accounts) > 0
    `;
    const rows = await tx<ComputedRow[]>`
      with sums as (
        select coalesce(console, 'all') as platform,
          sum(active_accounts) as active_accounts, sum(battles) as battles,
          sum(new_accounts) as new_accounts, sum(newly_tracked) as newly_tracked,
          sum(active_1_4) as active_1_4, sum(active_5_9) as active_5_9, sum(active_10_19) as active_10_19,
          sum(active_20_49) as active_20_49, sum(active_50plus) as active_50plus
        from day_groups
        group by grouping sets ((console), ())
      )
      insert into daily_stats (
        date, platform, active_accounts, battles, new_accounts, accounts_5plus, newly_tracked,
        span_days, complete, previous_date,
        active_1_4, active_5_9, active_10_19, active_20_49, active_50plus,
        batches, batches_committed, batches_failed
      )
      select ${day.date}::date, p.platform,
        coalesce(s.active_accounts, 0), coalesce(s.battles, 0), coalesce(s.new_accounts, 0),
        coalesce(s.active_5_9 + s.active_10_19 + s.active_20_49 + s.active_50plus, 0), coalesce(s.newly_tracked, 0),
        ${day.spanDays}::int, ${day.complete}::boolean, ${day.previousDate}::date,
        coalesce(s.active_1_4, 0), coalesce(s.active_5_9, 0), coalesce(s.active_10_19, 0),
        coalesce(s.active_20_49, 0), coalesce(s.active_50plus, 0),
        p.batches, p.committed, p.failed
      from unnest(array['xbox', 'ps', 'all'], ${batches}::int[], ${committed}::int[], ${failed}::int[])
        with ordinality as p(platform, batches, committed, failed, n)
      left join sums s on s.platform = p.platform
      order by p.n
      returning platform, active_accounts, battles::float8 as battles, new_accounts, newly_tracked
    `;
    const figures = await tx<{ console: Platform; first_seen: number; with_diff: number; battles: number }[]>`
      select console, sum(first_seen_today)::float8 as first_seen, sum(with_diff)::float8 as with_diff, sum(diff_battles)::float8 as battles
      from day_groups group by console
    `;
    const players = Object.fromEntries(PLATFORMS.map((p) => [p, { newPlayers: 0, activePlayers: 0, battlesPlayed: 0 }])) as Record<Platform, PlayerFigures>;
    for (const f of figures) players[f.console] = { newPlayers: f.first_seen, activePlayers: f.with_diff, battlesPlayed: f.battles };
    return { rows: [...rows], players };
  });
}
