/**
 * The tracker's web pages: each an HTML file under server/src/web/ whose
 * scripts and styles `bun build` bundles (npm packages included) into
 * dist/web/. A new page is one line here and a folder beside dashboard/.
 */
export interface PageSpec {
  /** The path it is served at. */
  route: string;
  /** Its HTML entry point, relative to server/src/web/. */
  entry: string;
}

/** The statistics page's entry (stats/page-export.ts writes it out as a static site). */
export const STATS_PAGE = "stats/index.html";

export const PAGES: readonly PageSpec[] = [
  { route: "/", entry: "dashboard/index.html" },
  // Public: the daily statistics (the static export copies it as index.html).
  { route: "/stats", entry: STATS_PAGE },
];

