CREATE TABLE "reconciliation_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"trigger" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"workflow_id" text NOT NULL,
	"execution_id" text NOT NULL,
	"actor" text,
	"cursor" text,
	"counts" jsonb NOT NULL,
	"findings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"finding_count" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	"finished_at" timestamp (3) with time zone,
	CONSTRAINT "reconciliation_runs_trigger" CHECK ("reconciliation_runs"."trigger" in ('schedule','manual')),
	CONSTRAINT "reconciliation_runs_status" CHECK ("reconciliation_runs"."status" in ('running','completed','failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_runs_execution_uq" ON "reconciliation_runs" USING btree ("execution_id");--> statement-breakpoint
CREATE INDEX "reconciliation_runs_started_idx" ON "reconciliation_runs" USING btree ("started_at" DESC NULLS LAST,"id" DESC NULLS LAST);