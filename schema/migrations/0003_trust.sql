CREATE TABLE "failed_batches" (
	"run_date" date NOT NULL,
	"platform" text NOT NULL,
	"start" bigint NOT NULL,
	"end" bigint NOT NULL,
	"reason" text NOT NULL,
	"attempts" integer NOT NULL,
	"failed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "failed_batches_run_date_platform_start_pk" PRIMARY KEY("run_date","platform","start")
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "error_counts" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "run_batches" ADD COLUMN "answered_by" text;--> statement-breakpoint
ALTER TABLE "run_batches" ADD COLUMN "check_state" text;--> statement-breakpoint
ALTER TABLE "run_batches" ADD COLUMN "checked_by" text;--> statement-breakpoint
ALTER TABLE "run_batches" ADD COLUMN "answer_hash" text;--> statement-breakpoint
ALTER TABLE "client_tokens" ADD COLUMN "trust" text DEFAULT 'new' NOT NULL;--> statement-breakpoint
ALTER TABLE "client_tokens" ADD COLUMN "agreements" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "client_tokens" ADD COLUMN "disagreements" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "client_tokens" ADD COLUMN "suspended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "client_tokens" ADD COLUMN "suspended_reason" text;--> statement-breakpoint
ALTER TABLE "client_tokens" ADD CONSTRAINT "client_tokens_trust_check" CHECK ("client_tokens"."trust" IN ('new', 'trusted', 'operator'));