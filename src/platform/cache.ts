/**
 * An HTTP cache for the platform's GET responses (lru-cache: bounded entries, LRU eviction),
 * that understands `ETag`, `Cache-Control: max-age` and `304 Not Modified`.
 *
 * The accuracy rule (README): what money depends on — the price charged, the address shipped
 * to, whether the product is active — is never served from the cache. Reads for money use
 * `fresh`: they always ask the platform, conditionally (`If-None-Match`), so an unchanged
 * resource costs a 304 without a body and a changed one is seen at once. Reads for the
 * internal app's views may be served from the cache for at most `ttlMs` (and never longer
 * than the platform's own `max-age`), and — during a platform outage only — up to
 * `staleIfErrorMs` old, marked as stale.
 */
import { LRUCache } from 'lru-cache';

export type CacheResult = 'hit' | 'miss' | 'revalidated' | 'stale_if_error' | 'bypass';

export interface CacheEntry {
  readonly etag: string | null;
  readonly body: unknown;
  /** When it was last confirmed by the platform (200 or 304). */
  readonly storedAt: number;
  /** storedAt + min(ttl, max-age). */
  readonly freshUntil: number;
}

export interface PlatformCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly staleIfErrorMs: number;
  /** Called for every cached read: feeds the hit/miss/revalidation metrics. */
  readonly onResult?: (result: CacheResult, operation: string) => void;
  readonly now?: () => number;
}

export interface CacheStats {
  hit: number;
  miss: number;
  revalidated: number;
  stale_if_error: number;
  bypass: number;
}

export class PlatformCache {
  private readonly lru: LRUCache<string, CacheEntry>;
  readonly stats: CacheStats = { hit: 0, miss: 0, revalidated: 0, stale_if_error: 0, bypass: 0 };

  constructor(readonly options: PlatformCacheOptions) {
    // Entries outlive their freshness (they are still useful for conditional requests and
    // stale-if-error); the LRU bound keeps memory bounded.
    this.lru = new LRUCache<string, CacheEntry>({ max: Math.max(1, options.maxEntries) });
  }

  now(): number {
    return this.options.now?.() ?? Date.now();
  }

  get(key: string): CacheEntry | undefined {
    return this.lru.get(key);
  }

  store(key: string, etag: string | null, body: unknown, cacheControl: string | null): void {
    const maxAge = parseMaxAge(cacheControl);
    if (cacheControl && /\bno-store\b/.test(cacheControl)) {
      this.lru.delete(key);
      return;
    }
    const now = this.now();
    const ttl = Math.min(
      this.options.ttlMs,
      maxAge === null ? this.options.ttlMs : maxAge * 1000,
      cacheControl && /\bno-cache\b/.test(cacheControl) ? 0 : Infinity,
    );
    this.lru.set(key, { etag, body, storedAt: now, freshUntil: now + ttl });
  }

  /** A 304 confirmed the entry: it is fresh again. */
  refresh(key: string, entry: CacheEntry, cacheControl: string | null): void {
    this.store(key, entry.etag, entry.body, cacheControl);
  }

  isFresh(entry: CacheEntry): boolean {
    return this.now() < entry.freshUntil;
  }

  usableIfError(entry: CacheEntry): boolean {
    return this.now() - entry.storedAt <= this.options.staleIfErrorMs;
  }

  record(result: CacheResult, operation: string): void {
    this.stats[result] += 1;
    this.options.onResult?.(result, operation);
  }

  get size(): number {
    return this.lru.size;
  }
}

export function parseMaxAge(cacheControl: string | null): number | null {
  if (!cacheControl) return null;
  const match = /\bmax-age=(\d+)/.exec(cacheControl);
  return match?.[1] ? Number(match[1]) : null;
}
