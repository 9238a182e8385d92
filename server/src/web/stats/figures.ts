/**
 * What each chart of the statistics page counts, in the words shown under it.
 * The static export's series/<figure>.json carry the same descriptions, so
 * the text a reader of the files sees is the page's. (Here, under web/, so an
 * edit rebuilds the page: its fingerprint covers this folder only.)
 */

/** The figures drawn over time, one chart each; keys of a daily.json row. */
export type SeriesFigure = "active_accounts" | "battles" | "new_accounts" | "accounts_5plus" | "newly_tracked" | "battles_per_active_account";

export interface FigureText {
  figure: SeriesFigure;
  /** The chart's heading. */
  title: string;
  /** One paragraph: what it counts, then its caveats. */
  description: string;
}

/** Said of every figure that compares a crawl with the one before. */
const MARKS =
  "A ringed day is incomplete: a batch of accounts could not be crawled on it or on the crawled day before, so those accounts are missing that day and their play shows up on the next. A shaded day follows a missed crawl and holds the play of every day since the last one.";

export const SERIES: readonly FigureText[] = [
  {
    figure: "active_accounts",
    title: "Active accounts",
    description: `Accounts whose battle count rose since their previous crawl, plus new accounts that have played. ${MARKS} On the first crawled date every account is newly tracked, so nothing counts as active.`,
  },
  {
    figure: "battles",
    title: "Battles played",
    description: `Battles the active accounts played since their previous crawl: the sum of the rises (a new account's battles count whole). ${MARKS} Lifetime totals of newly tracked accounts are not counted here.`,
  },
  {
    figure: "new_accounts",
    title: "New accounts",
    description:
      "Accounts first seen on the date and created after the previous crawled date (UTC). An account created before that but seen only now (a grown ID range, a batch that failed before) is newly tracked instead. After a missed crawl the figure covers every day since the last one.",
  },
  {
    figure: "accounts_5plus",
    title: "Accounts with 5 or more battles",
    description: `Active accounts that played at least 5 battles since their previous crawl. ${MARKS} Over a multi-day span 5 battles are easier to reach, so the figure is not comparable with single days.`,
  },
  {
    figure: "newly_tracked",
    title: "Newly tracked accounts",
    description:
      "Accounts first seen on the date but created on or before the previous crawled date: the whole population on the first day, the accounts of a grown ID range, and those of a batch that failed before. Their lifetime totals are not one day's play, so they count here and nowhere else; a spike says the tracker saw more, not that players arrived.",
  },
  {
    figure: "battles_per_active_account",
    title: "Battles per active account",
    description: `Battles divided by active accounts (no value when nobody was active). ${MARKS} Over a multi-day span each account has had more days to play, so the average is higher.`,
  },
];

export const BUCKETS_TEXT = {
  title: "Active accounts by battles played",
  description:
    "The day's active accounts by how many battles each played since its previous crawl: 1–4, 5–9, 10–19, 20–49, 50 or more (together they make the day's active accounts). On an incomplete day the accounts of the missing batches are left out; on a day covering several days each account's battles are those of all of them, which moves accounts to the higher buckets.",
};

export const ACCOUNT_AGE_TEXT = {
  title: "Active accounts by the year the account was created",
  description:
    "The day's active accounts by the UTC year their account was created (together they make the day's active accounts). The same caveats as for active accounts hold: an incomplete day leaves out the accounts of the missing batches, a day covering several days counts anyone who played on any of them.",
};

/** The battle-count buckets: the daily.json column and its label. */
export const BUCKETS = [
  { column: "active_1_4", label: "1–4" },
  { column: "active_5_9", label: "5–9" },
  { column: "active_10_19", label: "10–19" },
  { column: "active_20_49", label: "20–49" },
  { column: "active_50plus", label: "50+" },
] as const;
