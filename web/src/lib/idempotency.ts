/**
 * One Idempotency-Key per submitted form. `crypto.randomUUID` exists only in secure contexts
 * (https or localhost); the app may be served over plain http inside the company network,
 * so the key is built from `crypto.getRandomValues`, which exists everywhere.
 */
export function newIdempotencyKey(prefix = 'web'): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
