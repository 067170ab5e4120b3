-- The per-account hash chain of ledger_entries, and the hold bound for balances at an instant.
--
-- hash(entry) = hex(SHA-256(raw 32 bytes of the previous entry's hash of the same account
--               || UTF-8 bytes of canonical(entry)))
-- The first entry of an account (account_version 1) chains from the genesis value, 64 hex
-- zeros. canonical(entry) concatenates, in this order, the fields id, customer_id,
-- account_version, type, amount, currency, balance_after, reason, note, actor, approved_by,
-- purchase_id, refund_id, workflow_id, request_id, idempotency_key, created_at; each one written as
-- "<number of UTF-8 bytes of the value>:<value>", or "-" when it is null. Integers are in
-- decimal with a leading "-" when negative; created_at is UTC with microseconds,
-- "YYYY-MM-DDTHH:MM:SS.ffffffZ". src/domain/ledger-chain.ts computes the same in TypeScript
-- (the verifier), independently of these functions.
CREATE OR REPLACE FUNCTION ledger_chain_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ledger_entry_hash(prev text, e ledger_entries) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(decode(prev, 'hex') || convert_to(
    ledger_chain_field(e.id) || ledger_chain_field(e.customer_id) || ledger_chain_field(e.account_version::text)
    || ledger_chain_field(e.type) || ledger_chain_field(e.amount::text) || ledger_chain_field(e.currency)
    || ledger_chain_field(e.balance_after::text) || ledger_chain_field(e.reason) || ledger_chain_field(e.note)
    || ledger_chain_field(e.actor) || ledger_chain_field(e.approved_by) || ledger_chain_field(e.purchase_id) || ledger_chain_field(e.refund_id)
    || ledger_chain_field(e.workflow_id) || ledger_chain_field(e.request_id) || ledger_chain_field(e.idempotency_key)
    || ledger_chain_field(to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
    'UTF8')), 'hex')
$$;
--> statement-breakpoint
-- Every append passes here, whichever code path inserts: the previous entry of the account is
-- read under the account row lock that the conditional UPDATE before each append holds, so
-- appends to one account serialise and each chains from the one before.
CREATE OR REPLACE FUNCTION ledger_entries_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  prev text;
BEGIN
  IF NEW.account_version = 1 THEN
    prev := repeat('0', 64);
  ELSE
    SELECT hash INTO prev FROM ledger_entries
      WHERE customer_id = NEW.customer_id AND account_version = NEW.account_version - 1;
    IF prev IS NULL THEN
      RAISE EXCEPTION 'ledger entry % of % (version %) continues no entry', NEW.id, NEW.customer_id, NEW.account_version
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  END IF;
  NEW.hash := ledger_entry_hash(prev, NEW);
  RETURN NEW;
END;
$$;
--> statement-breakpoint
-- Back-fill: existing entries, per account in account_version order (the append-only trigger
-- is off for this one UPDATE and on again before the migration commits).
ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
--> statement-breakpoint
DO $$
DECLARE
  r ledger_entries%ROWTYPE;
  prev text;
  current_customer text := NULL;
BEGIN
  FOR r IN SELECT * FROM ledger_entries ORDER BY customer_id, account_version LOOP
    IF current_customer IS DISTINCT FROM r.customer_id THEN
      prev := repeat('0', 64);
      current_customer := r.customer_id;
    END IF;
    prev := ledger_entry_hash(prev, r);
    UPDATE ledger_entries SET hash = prev WHERE id = r.id;
  END LOOP;
END;
$$;
--> statement-breakpoint
ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only;
--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_hash_hex" CHECK ("ledger_entries"."hash" ~ '^[0-9a-f]{64}$');
--> statement-breakpoint
CREATE TRIGGER ledger_entries_chain
  BEFORE INSERT ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_chain();
--> statement-breakpoint
-- open_since: the creation time of the oldest hold of the account still pending when this one
-- is created (or its own). Holds are inserted under the account row lock (the reserve's
-- conditional UPDATE), so no concurrent reservation or resolution of the account is missed.
CREATE OR REPLACE FUNCTION credit_holds_open_since() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  SELECT least(min(created_at), NEW.created_at) INTO NEW.open_since
    FROM credit_holds WHERE customer_id = NEW.customer_id AND status = 'pending';
  RETURN NEW;
END;
$$;
--> statement-breakpoint
UPDATE credit_holds h SET open_since = least(h.created_at, (
  SELECT min(o.created_at) FROM credit_holds o
  WHERE o.customer_id = h.customer_id AND o.created_at <= h.created_at
    AND (o.resolved_at IS NULL OR o.resolved_at > h.created_at)));
--> statement-breakpoint
CREATE TRIGGER credit_holds_open_since
  BEFORE INSERT ON credit_holds
  FOR EACH ROW EXECUTE FUNCTION credit_holds_open_since();
