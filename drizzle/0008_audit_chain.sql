CREATE TABLE "ledger_checkpoints" (
	"customer_id" text NOT NULL,
	"account_version" integer NOT NULL,
	"hash" text NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL,
	"run_id" text,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "ledger_checkpoints_customer_id_account_version_pk" PRIMARY KEY("customer_id","account_version")
);
--> statement-breakpoint
ALTER TABLE "credit_holds" ADD COLUMN "open_since" timestamp (6) with time zone;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "hash" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX "credit_holds_customer_created_idx" ON "credit_holds" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "ledger_entries_customer_created_idx" ON "ledger_entries" USING btree ("customer_id","created_at","account_version");--> statement-breakpoint
CREATE INDEX "ledger_entries_created_idx" ON "ledger_entries" USING btree ("created_at","id");