-- Hand-written: two changes to the players triggers for verification (issue 11).
--
-- 1. Counters and times never move back. A volunteer's answer that lowers a
--    known player's battles (or any counter, or updated_at/last_battle_time)
--    is not taken on one client's word: the UPDATE trigger refuses the whole
--    statement with SQLSTATE WT001 and the offending account ids in DETAIL;
--    the DB helper then writes the chunk without the batches holding them and
--    hands those back to the server for a second opinion. Only rows whose
--    battles changed reach this trigger (the ingest upsert skips the others),
--    so the check is one more hash join over the day's changed players.
--
-- 2. Repairs bypass the triggers. When a client is found lying, the batches
--    it answered are written again from honest answers by a repair statement
--    that computes the day's total/diff rows itself (it must also remove rows
--    of players that did not really change, and of players that do not exist).
--    It runs with SET LOCAL wotc.repair = 'on', and both triggers then do
--    nothing.
CREATE OR REPLACE FUNCTION "wotc_repairing"() RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce(current_setting('wotc.repair', true), '') = 'on'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "players_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	d date;
BEGIN
	IF wotc_repairing() THEN
		RETURN NULL;
	END IF;
	d := wotc_run_date();
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
CREATE OR REPLACE FUNCTION "players_updated"() RETURNS trigger
LANGUAGE plpgsql
SET enable_nestloop = off
AS $$
DECLARE
	d date;
	regressed text;
BEGIN
	IF wotc_repairing() THEN
		RETURN NULL;
	END IF;
	d := wotc_run_date();
	SELECT string_agg(r.account_id::text, ',') INTO regressed
	FROM (
		SELECT n.account_id
		FROM new_players n
		JOIN old_players o ON o.account_id = n.account_id
		WHERE n.battles < o.battles OR n.spotted < o.spotted OR n.wins < o.wins
			OR n.damage_dealt < o.damage_dealt OR n.frags < o.frags
			OR n.dropped_capture_points < o.dropped_capture_points
			OR n.updated_at < o.updated_at OR n.last_battle_time < o.last_battle_time
		LIMIT 10000
	) r;
	IF regressed IS NOT NULL THEN
		RAISE EXCEPTION 'counters or times of known players would move back (accounts %)', left(regressed, 200)
			USING ERRCODE = 'WT001', DETAIL = regressed;
	END IF;

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
