CREATE TABLE "players" (
	"account_id" bigint PRIMARY KEY NOT NULL,
	"nickname" text NOT NULL,
	"console" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_battle_time" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	"battles" integer NOT NULL,
	"spotted" integer NOT NULL,
	"wins" integer NOT NULL,
	"damage_dealt" bigint NOT NULL,
	"frags" integer NOT NULL,
	"dropped_capture_points" integer NOT NULL,
	"last_api_pull" timestamp with time zone NOT NULL,
	"first_seen" date NOT NULL,
	"last_changed" date NOT NULL,
	CONSTRAINT "players_console_check" CHECK ("players"."console" IN ('xbox', 'ps'))
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"run_date" date PRIMARY KEY NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"ranges" jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"errors" integer DEFAULT 0 NOT NULL,
	"summary" jsonb,
	CONSTRAINT "runs_state_check" CHECK ("runs"."state" IN ('running', 'complete'))
);
--> statement-breakpoint
CREATE TABLE "run_batches" (
	"run_date" date NOT NULL,
	"platform" text NOT NULL,
	"start" bigint NOT NULL,
	"end" bigint NOT NULL,
	"found" integer NOT NULL,
	"max_account_id" bigint,
	"committed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_batches_run_date_platform_start_pk" PRIMARY KEY("run_date","platform","start")
);
--> statement-breakpoint
CREATE TABLE "client_tokens" (
	"name" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
