-- Hand-written: statement-level triggers with transition tables keep
-- total_battles and diff_battles in step with players. One INSERT ... SELECT per
-- table per statement is what makes the write path fast (DESIGN.md, "The write
-- path": per-row triggers were 2-5x slower).
--
-- The date written is the ingest's run date, never current_date (which follows
-- the session TimeZone and would split a run that crosses midnight). The ingest
-- transaction sets it with SET LOCAL wotc.run_date = 'YYYY-MM-DD'.
--
-- players_updated runs with enable_nestloop = off. An INSERT ... ON CONFLICT
-- DO UPDATE fires the statement-level UPDATE trigger even when it updated
-- nothing, so on a first load the trigger runs with empty transition tables;
-- their row count is fixed into the statement when plpgsql first parses it, so
-- every later plan in that session estimates one row a side and joins OLD and
-- NEW with a nested loop: the next day, with 5,000 rows a side, 4 s per chunk
-- instead of 30 ms (measured, PostgreSQL 18), until autovacuum's ANALYZE of
-- players happened to invalidate the cached statement. (plan_cache_mode =
-- force_custom_plan does not help: the estimate lives in the parsed statement.)
-- With nested loops off the join is a hash join whatever the estimate.
CREATE FUNCTION "wotc_run_date"() RETURNS date
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v text := current_setting('wotc.run_date', true);
BEGIN
	IF v IS NULL OR v = '' THEN
		RAISE EXCEPTION 'wotc.run_date is not set: players must be written in a transaction that first runs SET LOCAL wotc.run_date = ''YYYY-MM-DD'' (the run date the total/diff rows belong to)'
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	RETURN v::date;
END
$$;
--> statement-breakpoint
-- A new player: his totals, and a diff equal to them when he has played.
-- Plain INSERTs: a player inserted by this statement cannot have a row for the
-- day yet (players rows are never deleted), and ON CONFLICT would cost a third
-- of the ingest rate (measured: 77k -> 101k new rows/s without it).
CREATE FUNCTION "players_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	d date := wotc_run_date();
BEGIN
	INSERT INTO total_battles (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
	SELECT n.account_id, d, n.console, n.battles, n.spotted, n.wins, n.damage_dealt, n.frags, n.dropped_capture_points
	FROM new_players n;

	INSERT INTO diff_battles (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
	SELECT n.account_id, d, n.console, n.battles, n.spotted, n.wins, n.damage_dealt, n.frags, n.dropped_capture_points
	FROM new_players n
	WHERE n.battles > 0;
	RETURN NULL;
END
$$;
--> statement-breakpoint
-- A player whose battles changed: his new totals, and new minus old for every
-- counter. OLD.last_changed tells a first change of the day (plain INSERT)
-- from a repeat: then the day's rows exist (the diff row unless he was new
-- today without battles), the totals take the latest values and the diff adds
-- up, so it stays "today's totals minus the previous day's". Rows whose battles
-- did not change are skipped here too, so an UPDATE of other columns (a
-- nickname fixed by hand) writes nothing; the ingest upsert already skips them.
CREATE FUNCTION "players_updated"() RETURNS trigger
LANGUAGE plpgsql
SET enable_nestloop = off
AS $$
DECLARE
	d date := wotc_run_date();
BEGIN
	INSERT INTO total_battles (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
	SELECT n.account_id, d, n.console, n.battles, n.spotted, n.wins, n.damage_dealt, n.frags, n.dropped_capture_points
	FROM new_players n
	JOIN old_players o ON o.account_id = n.account_id
	WHERE n.battles IS DISTINCT FROM o.battles AND o.last_changed < d;

	INSERT INTO diff_battles (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
	SELECT n.account_id, d, n.console,
		n.battles - o.battles,
		n.spotted - o.spotted,
		n.wins - o.wins,
		n.damage_dealt - o.damage_dealt,
		n.frags - o.frags,
		n.dropped_capture_points - o.dropped_capture_points
	FROM new_players n
	JOIN old_players o ON o.account_id = n.account_id
	WHERE n.battles IS DISTINCT FROM o.battles AND o.last_changed < d;

	INSERT INTO total_battles AS t (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
	SELECT n.account_id, d, n.console, n.battles, n.spotted, n.wins, n.damage_dealt, n.frags, n.dropped_capture_points
	FROM new_players n
	JOIN old_players o ON o.account_id = n.account_id
	WHERE n.battles IS DISTINCT FROM o.battles AND o.last_changed >= d
	ON CONFLICT (account_id, date) DO UPDATE SET
		console = EXCLUDED.console,
		battles = EXCLUDED.battles,
		spotted = EXCLUDED.spotted,
		wins = EXCLUDED.wins,
		damage_dealt = EXCLUDED.damage_dealt,
		frags = EXCLUDED.frags,
		dropped_capture_points = EXCLUDED.dropped_capture_points;

	INSERT INTO diff_battles AS t (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
	SELECT n.account_id, d, n.console,
		n.battles - o.battles,
		n.spotted - o.spotted,
		n.wins - o.wins,
		n.damage_dealt - o.damage_dealt,
		n.frags - o.frags,
		n.dropped_capture_points - o.dropped_capture_points
	FROM new_players n
	JOIN old_players o ON o.account_id = n.account_id
	WHERE n.battles IS DISTINCT FROM o.battles AND o.last_changed >= d
	ON CONFLICT (account_id, date) DO UPDATE SET
		console = EXCLUDED.console,
		battles = t.battles + EXCLUDED.battles,
		spotted = t.spotted + EXCLUDED.spotted,
		wins = t.wins + EXCLUDED.wins,
		damage_dealt = t.damage_dealt + EXCLUDED.damage_dealt,
		frags = t.frags + EXCLUDED.frags,
		dropped_capture_points = t.dropped_capture_points + EXCLUDED.dropped_capture_points;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "players_after_insert"
	AFTER INSERT ON "players"
	REFERENCING NEW TABLE AS new_players
	FOR EACH STATEMENT EXECUTE FUNCTION players_inserted();
--> statement-breakpoint
CREATE TRIGGER "players_after_update"
	AFTER UPDATE ON "players"
	REFERENCING OLD TABLE AS old_players NEW TABLE AS new_players
	FOR EACH STATEMENT EXECUTE FUNCTION players_updated();
