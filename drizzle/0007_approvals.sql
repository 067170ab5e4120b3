CREATE TABLE "approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"note" text,
	"requested_by" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp (3) with time zone,
	"decision_note" text,
	"entry_id" text,
	"workflow_id" text NOT NULL,
	"idempotency_scope" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_id" text,
	"created_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "approvals_kind" CHECK ("approvals"."kind" in ('grant','deduction')),
	CONSTRAINT "approvals_status" CHECK ("approvals"."status" in ('pending','approved','rejected','expired')),
	CONSTRAINT "approvals_amount_positive" CHECK ("approvals"."amount" > 0),
	CONSTRAINT "approvals_decided" CHECK (("approvals"."status" in ('pending','expired')) = ("approvals"."decided_by" is null)),
	CONSTRAINT "approvals_entry" CHECK (("approvals"."status" = 'approved') = ("approvals"."entry_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "approved_by" text;--> statement-breakpoint
CREATE INDEX "approvals_created_idx" ON "approvals" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "approvals_status_created_idx" ON "approvals" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "approvals_customer_created_idx" ON "approvals" USING btree ("customer_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);