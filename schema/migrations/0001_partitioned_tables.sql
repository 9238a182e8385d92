-- Hand-written: drizzle-kit cannot emit PARTITION BY (drizzle-orm#2854), so
-- total_battles and diff_battles are kept out of drizzle.config.ts and created
-- here. Their Drizzle objects (schema/db/total-battles.ts, diff-battles.ts)
-- must match these columns.
CREATE TABLE "total_battles" (
	"account_id" bigint NOT NULL,
	"date" date NOT NULL,
	"console" text NOT NULL,
	"battles" integer NOT NULL,
	"spotted" integer NOT NULL,
	"wins" integer NOT NULL,
	"damage_dealt" bigint NOT NULL,
	"frags" integer NOT NULL,
	"dropped_capture_points" integer NOT NULL,
	CONSTRAINT "total_battles_pk" PRIMARY KEY ("account_id", "date")
) PARTITION BY RANGE ("date");
--> statement-breakpoint
CREATE TABLE "diff_battles" (
	"account_id" bigint NOT NULL,
	"date" date NOT NULL,
	"console" text NOT NULL,
	"battles" integer NOT NULL,
	"spotted" integer NOT NULL,
	"wins" integer NOT NULL,
	"damage_dealt" bigint NOT NULL,
	"frags" integer NOT NULL,
	"dropped_capture_points" integer NOT NULL,
	CONSTRAINT "diff_battles_pk" PRIMARY KEY ("account_id", "date")
) PARTITION BY RANGE ("date");
--> statement-breakpoint
-- One partition per UTC day for both tables, named <table>_YYYYMMDD. Safe to
-- call again, and from two sessions at once: the advisory lock serialises the
-- check-then-create, which CREATE TABLE IF NOT EXISTS alone does not (it can
-- still fail on the catalog's unique index when two sessions race).
CREATE FUNCTION "create_day_partitions"(d date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	parent text;
	child text;
BEGIN
	IF d IS NULL THEN
		RAISE EXCEPTION 'create_day_partitions: the date is null';
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('wotc.create_day_partitions'));
	FOREACH parent IN ARRAY ARRAY['total_battles', 'diff_battles'] LOOP
		child := parent || '_' || to_char(d, 'YYYYMMDD');
		IF to_regclass(quote_ident(child)) IS NULL THEN
			EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', child, parent, d, d + 1);
		END IF;
	END LOOP;
END
$$;
