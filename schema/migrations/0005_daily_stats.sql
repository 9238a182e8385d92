CREATE TABLE "daily_stats" (
	"date" date NOT NULL,
	"platform" text NOT NULL,
	"active_accounts" integer NOT NULL,
	"battles" bigint NOT NULL,
	"new_accounts" integer NOT NULL,
	"accounts_5plus" integer NOT NULL,
	"newly_tracked" integer NOT NULL,
	"span_days" integer,
	"complete" boolean NOT NULL,
	"previous_date" date,
	"active_1_4" integer NOT NULL,
	"active_5_9" integer NOT NULL,
	"active_10_19" integer NOT NULL,
	"active_20_49" integer NOT NULL,
	"active_50plus" integer NOT NULL,
	"batches" integer NOT NULL,
	"batches_committed" integer NOT NULL,
	"batches_failed" integer NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "daily_stats_date_platform_pk" PRIMARY KEY("date","platform"),
	CONSTRAINT "daily_stats_platform_check" CHECK ("daily_stats"."platform" IN ('xbox', 'ps', 'all'))
);
--> statement-breakpoint
CREATE TABLE "daily_stats_created_year" (
	"date" date NOT NULL,
	"platform" text NOT NULL,
	"created_year" integer NOT NULL,
	"active_accounts" integer NOT NULL,
	"battles" bigint NOT NULL,
	CONSTRAINT "daily_stats_created_year_date_platform_created_year_pk" PRIMARY KEY("date","platform","created_year"),
	CONSTRAINT "daily_stats_created_year_platform_check" CHECK ("daily_stats_created_year"."platform" IN ('xbox', 'ps', 'all'))
);
