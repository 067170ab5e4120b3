-- The audit trail of promo codes is append-only, like the ledger.
CREATE TRIGGER promo_code_audit_append_only
  BEFORE UPDATE OR DELETE ON promo_code_audit
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();
