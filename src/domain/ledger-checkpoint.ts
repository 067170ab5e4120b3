/**
 * Signed checkpoints of the hash chain: reconciliation records each intact account's head
 * (version and hash) with an HMAC-SHA256 signature under a key that lives in the service's
 * configuration, not in the database. Someone who can write the database but does not hold the
 * key can rewrite an account's whole chain consistently, but not the checkpoint that pins its
 * earlier head: the verifier then finds `checkpoint_mismatch` (or, for a forged checkpoint,
 * `checkpoint_signature_invalid`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface CheckpointKey {
  /** Names the key in each checkpoint row, so keys can be rotated. */
  readonly id: string;
  readonly secret: string;
}

export interface CheckpointFields {
  readonly customerId: string;
  readonly accountVersion: number;
  readonly hash: string;
}

/** The signed message: `ledger-checkpoint/v1`, customer id, version and hash, newline-separated. */
export function checkpointMessage(c: CheckpointFields): string {
  return `ledger-checkpoint/v1\n${c.customerId}\n${c.accountVersion}\n${c.hash}`;
}

export function signCheckpoint(key: CheckpointKey, c: CheckpointFields): string {
  return createHmac('sha256', key.secret).update(checkpointMessage(c), 'utf8').digest('hex');
}

export function checkpointSignatureValid(
  key: CheckpointKey,
  c: CheckpointFields & { readonly signature: string; readonly keyId: string },
): boolean {
  if (c.keyId !== key.id || !/^[0-9a-f]{64}$/.test(c.signature)) return false;
  return timingSafeEqual(Buffer.from(signCheckpoint(key, c), 'hex'), Buffer.from(c.signature, 'hex'));
}
