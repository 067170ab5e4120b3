CREATE TABLE "credit_accounts" (
	"customer_id" text PRIMARY KEY NOT NULL,
	"currency" text NOT NULL,
	"balance" bigint DEFAULT 0 NOT NULL,
	"held" bigint DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "credit_accounts_held_nonnegative" CHECK ("credit_accounts"."held" >= 0),
	CONSTRAINT "credit_accounts_available_nonnegative" CHECK ("credit_accounts"."balance" - "credit_accounts"."held" >= 0),
	CONSTRAINT "credit_accounts_currency_iso" CHECK ("credit_accounts"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "credit_holds" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"purchase_id" text NOT NULL,
	"workflow_id" text,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"resolution" text,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	"resolved_at" timestamp (6) with time zone,
	CONSTRAINT "credit_holds_amount_positive" CHECK ("credit_holds"."amount" > 0),
	CONSTRAINT "credit_holds_status" CHECK ("credit_holds"."status" in ('pending','captured','released')),
	CONSTRAINT "credit_holds_resolved" CHECK (("credit_holds"."status" = 'pending') = ("credit_holds"."resolved_at" is null))
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"resource_id" text NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	"completed_at" timestamp (6) with time zone,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"account_version" integer NOT NULL,
	"type" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"balance_after" bigint NOT NULL,
	"reason" text NOT NULL,
	"note" text,
	"actor" text NOT NULL,
	"purchase_id" text,
	"refund_id" text,
	"workflow_id" text,
	"request_id" text,
	"idempotency_key" text NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "ledger_entries_type" CHECK ("ledger_entries"."type" in ('grant','deduction','purchase','refund')),
	CONSTRAINT "ledger_entries_amount_sign" CHECK (("ledger_entries"."type" in ('grant','refund') and "ledger_entries"."amount" > 0) or ("ledger_entries"."type" in ('deduction','purchase') and "ledger_entries"."amount" < 0)),
	CONSTRAINT "ledger_entries_balance_after_nonnegative" CHECK ("ledger_entries"."balance_after" >= 0)
);
--> statement-breakpoint
ALTER TABLE "credit_holds" ADD CONSTRAINT "credit_holds_customer_id_credit_accounts_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."credit_accounts"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_customer_id_credit_accounts_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."credit_accounts"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "credit_holds_purchase_uq" ON "credit_holds" USING btree ("purchase_id");--> statement-breakpoint
CREATE INDEX "credit_holds_pending_idx" ON "credit_holds" USING btree ("customer_id") WHERE "credit_holds"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_idempotency_key_uq" ON "ledger_entries" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_account_version_uq" ON "ledger_entries" USING btree ("customer_id","account_version");--> statement-breakpoint
CREATE INDEX "ledger_entries_purchase_idx" ON "ledger_entries" USING btree ("purchase_id");