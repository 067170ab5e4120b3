CREATE TABLE "event_sequence" (
	"id" integer PRIMARY KEY NOT NULL,
	"last" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "event_sequence_one_row" CHECK ("event_sequence"."id" = 1),
	CONSTRAINT "event_sequence_last" CHECK ("event_sequence"."last" >= 0)
);
--> statement-breakpoint
CREATE TABLE "events" (
	"sequence" bigint PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"type" text NOT NULL,
	"customer_id" text,
	"created_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "events_type" CHECK ("events"."type" in ('purchase.completed','purchase.failed','refund.created','credit.granted','credit.deducted','approval.requested','approval.decided','reconciliation.finding')),
	CONSTRAINT "events_sequence_positive" CHECK ("events"."sequence" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "events_id_uq" ON "events" USING btree ("id");--> statement-breakpoint
CREATE INDEX "events_type_sequence_idx" ON "events" USING btree ("type","sequence");--> statement-breakpoint
-- The counter's one row. Every event takes its sequence from it with UPDATE … RETURNING inside
-- the transaction that writes the change, so event-writing transactions serialise on this row
-- and commit in sequence order, and a rolled-back transaction gives its number back: readers
-- can trust "everything after N" (a bigserial could not: 11 may commit before 10).
INSERT INTO "event_sequence" ("id", "last") VALUES (1, 0);
--> statement-breakpoint
-- The counter only ever moves by one, and its row is never deleted.
CREATE OR REPLACE FUNCTION event_sequence_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.last = OLD.last + 1 THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'event_sequence only moves by one: % is not allowed', TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER event_sequence_step
  BEFORE UPDATE OR DELETE ON event_sequence
  FOR EACH ROW EXECUTE FUNCTION event_sequence_guard();
--> statement-breakpoint
CREATE TRIGGER event_sequence_no_truncate
  BEFORE TRUNCATE ON event_sequence
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();
--> statement-breakpoint
-- An event's sequence is the number its own transaction just took from the counter: no code
-- path can insert an event beside the counter (a gap or an out-of-order commit).
CREATE OR REPLACE FUNCTION events_sequence_from_counter() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.sequence IS DISTINCT FROM (SELECT "last" FROM event_sequence WHERE id = 1) THEN
    RAISE EXCEPTION 'events.sequence % was not taken from event_sequence', NEW.sequence
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER events_sequence_check
  BEFORE INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION events_sequence_from_counter();
--> statement-breakpoint
-- Events are the published history: append-only like the ledger.
CREATE TRIGGER events_append_only
  BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();
--> statement-breakpoint
CREATE TRIGGER events_no_truncate
  BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();
