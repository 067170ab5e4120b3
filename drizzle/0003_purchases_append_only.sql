-- Billing records are never edited or deleted. Refunds are append-only like ledger entries;
-- a purchase is never deleted, and an UPDATE may only move its refund state (and the
-- shipment status the platform reports); the snapshot of what was bought is frozen.
CREATE OR REPLACE FUNCTION purchases_guard_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'purchases are never deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.id, NEW.customer_id, NEW.product_id, NEW.product_name, NEW.quantity, NEW.unit_price,
      NEW.subtotal, NEW.discount, NEW.total, NEW.currency, NEW.promo_code, NEW.shipment_id,
      NEW.shipping_address, NEW.workflow_id, NEW.actor, NEW.created_at)
     IS DISTINCT FROM
     (OLD.id, OLD.customer_id, OLD.product_id, OLD.product_name, OLD.quantity, OLD.unit_price,
      OLD.subtotal, OLD.discount, OLD.total, OLD.currency, OLD.promo_code, OLD.shipment_id,
      OLD.shipping_address, OLD.workflow_id, OLD.actor, OLD.created_at) THEN
    RAISE EXCEPTION 'a purchase snapshot is immutable: only refunded_amount, status and shipment_status change'
      USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.refunded_amount < OLD.refunded_amount THEN
    RAISE EXCEPTION 'refunded_amount never decreases' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER purchases_guard
  BEFORE UPDATE OR DELETE ON purchases
  FOR EACH ROW EXECUTE FUNCTION purchases_guard_change();
--> statement-breakpoint
CREATE TRIGGER refunds_append_only
  BEFORE UPDATE OR DELETE ON refunds
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();
--> statement-breakpoint
CREATE TRIGGER refunds_no_truncate
  BEFORE TRUNCATE ON refunds
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();
