CREATE TABLE "purchase_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"product_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"promo_code" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"error" jsonb,
	"workflow_id" text NOT NULL,
	"actor" text NOT NULL,
	"request_id" text,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	"finished_at" timestamp (6) with time zone,
	CONSTRAINT "purchase_attempts_status" CHECK ("purchase_attempts"."status" in ('pending','completed','failed'))
);
--> statement-breakpoint
CREATE TABLE "purchases" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"product_id" text NOT NULL,
	"product_name" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price" bigint NOT NULL,
	"subtotal" bigint NOT NULL,
	"discount" bigint DEFAULT 0 NOT NULL,
	"total" bigint NOT NULL,
	"currency" text NOT NULL,
	"promo_code" text,
	"status" text DEFAULT 'completed' NOT NULL,
	"refunded_amount" bigint DEFAULT 0 NOT NULL,
	"shipment_id" text NOT NULL,
	"shipment_status" text NOT NULL,
	"shipping_address" jsonb NOT NULL,
	"workflow_id" text NOT NULL,
	"actor" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "purchases_quantity" CHECK ("purchases"."quantity" between 1 and 100),
	CONSTRAINT "purchases_subtotal" CHECK ("purchases"."subtotal" = "purchases"."unit_price" * "purchases"."quantity"),
	CONSTRAINT "purchases_total" CHECK ("purchases"."total" = "purchases"."subtotal" - "purchases"."discount" and "purchases"."total" >= 0 and "purchases"."discount" >= 0),
	CONSTRAINT "purchases_refunded_le_total" CHECK ("purchases"."refunded_amount" >= 0 and "purchases"."refunded_amount" <= "purchases"."total"),
	CONSTRAINT "purchases_status" CHECK (("purchases"."status" = 'completed' and "purchases"."refunded_amount" = 0) or ("purchases"."status" = 'partially_refunded' and "purchases"."refunded_amount" > 0 and "purchases"."refunded_amount" < "purchases"."total") or ("purchases"."status" = 'refunded' and "purchases"."refunded_amount" = "purchases"."total"))
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"purchase_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"note" text,
	"actor" text NOT NULL,
	"workflow_id" text,
	"request_id" text,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "refunds_amount_positive" CHECK ("refunds"."amount" > 0)
);
--> statement-breakpoint
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_customer_id_credit_accounts_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."credit_accounts"("customer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_purchase_id_purchases_id_fk" FOREIGN KEY ("purchase_id") REFERENCES "public"."purchases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "purchase_attempts_customer_idx" ON "purchase_attempts" USING btree ("customer_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "purchase_attempts_pending_idx" ON "purchase_attempts" USING btree ("created_at") WHERE "purchase_attempts"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "purchases_created_idx" ON "purchases" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "purchases_customer_created_idx" ON "purchases" USING btree ("customer_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "purchases_product_created_idx" ON "purchases" USING btree ("product_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "purchases_status_created_idx" ON "purchases" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "purchases_shipment_uq" ON "purchases" USING btree ("shipment_id");--> statement-breakpoint
CREATE INDEX "refunds_purchase_idx" ON "refunds" USING btree ("purchase_id","created_at");