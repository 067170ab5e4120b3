CREATE TABLE "promo_code_audit" (
	"id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"action" text NOT NULL,
	"actor" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"request_id" text,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "promo_codes" (
	"code" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"percent_off" integer,
	"amount_off" bigint,
	"currency" text,
	"starts_at" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone,
	"max_redemptions" integer,
	"max_redemptions_per_customer" integer,
	"min_subtotal" bigint,
	"product_ids" jsonb,
	"active" boolean DEFAULT true NOT NULL,
	"redemptions" integer DEFAULT 0 NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "promo_codes_kind" CHECK (("promo_codes"."kind" = 'percent' and "promo_codes"."percent_off" between 1 and 100 and "promo_codes"."amount_off" is null) or ("promo_codes"."kind" = 'amount' and "promo_codes"."amount_off" > 0 and "promo_codes"."currency" is not null and "promo_codes"."percent_off" is null)),
	CONSTRAINT "promo_codes_counts" CHECK ("promo_codes"."redemptions" >= 0 and "promo_codes"."reserved" >= 0 and ("promo_codes"."max_redemptions" is null or "promo_codes"."redemptions" + "promo_codes"."reserved" <= "promo_codes"."max_redemptions")),
	CONSTRAINT "promo_codes_window" CHECK ("promo_codes"."starts_at" is null or "promo_codes"."expires_at" is null or "promo_codes"."starts_at" < "promo_codes"."expires_at")
);
--> statement-breakpoint
CREATE TABLE "promo_redemptions" (
	"purchase_id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"customer_id" text NOT NULL,
	"discount" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text DEFAULT 'reserved' NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	"resolved_at" timestamp (6) with time zone,
	CONSTRAINT "promo_redemptions_status" CHECK ("promo_redemptions"."status" in ('reserved','committed','released'))
);
--> statement-breakpoint
ALTER TABLE "promo_redemptions" ADD CONSTRAINT "promo_redemptions_code_promo_codes_code_fk" FOREIGN KEY ("code") REFERENCES "public"."promo_codes"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "promo_code_audit_code_idx" ON "promo_code_audit" USING btree ("code","created_at");--> statement-breakpoint
CREATE INDEX "promo_redemptions_code_customer_idx" ON "promo_redemptions" USING btree ("code","customer_id");