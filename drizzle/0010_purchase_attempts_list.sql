DROP INDEX "purchase_attempts_customer_idx";--> statement-breakpoint
ALTER TABLE "purchase_attempts" ADD COLUMN "cancel_requested_by" text;--> statement-breakpoint
ALTER TABLE "purchase_attempts" ADD COLUMN "cancel_reason" text;--> statement-breakpoint
ALTER TABLE "purchase_attempts" ADD COLUMN "cancel_requested_at" timestamp (6) with time zone;--> statement-breakpoint
CREATE INDEX "purchase_attempts_customer_created_idx" ON "purchase_attempts" USING btree ("customer_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "purchase_attempts_created_idx" ON "purchase_attempts" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "purchase_attempts_status_created_idx" ON "purchase_attempts" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "purchases_promo_created_idx" ON "purchases" USING btree ("promo_code","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "purchases"."promo_code" is not null;--> statement-breakpoint
ALTER TABLE "purchase_attempts" ADD CONSTRAINT "purchase_attempts_cancel" CHECK (("purchase_attempts"."cancel_requested_by" is null) = ("purchase_attempts"."cancel_requested_at" is null) and ("purchase_attempts"."cancel_requested_by" is null) = ("purchase_attempts"."cancel_reason" is null));