/** One platform cache per process, shared by every client made for a request or an activity. */
import type { Config } from '../config.js';
import { PlatformCache, type CacheResult } from './cache.js';
import { createPlatformClient, type PlatformClient } from './client.js';

export type PlatformClientFactory = (requestId?: string) => PlatformClient;

export function platformClientFactory(
  config: Config,
  baseUrl: string,
  onCacheResult?: (result: CacheResult, operation: string) => void,
): PlatformClientFactory {
  const cache =
    config.platform.cache.maxEntries > 0
      ? new PlatformCache({
          maxEntries: config.platform.cache.maxEntries,
          ttlMs: config.platform.cache.ttlMs,
          staleIfErrorMs: config.platform.cache.staleIfErrorMs,
          ...(onCacheResult ? { onResult: onCacheResult } : {}),
        })
      : undefined;
  return (requestId?: string) =>
    createPlatformClient({
      baseUrl,
      timeoutMs: config.platform.timeoutMs,
      ...(requestId ? { requestId } : {}),
      ...(cache ? { cache } : {}),
    });
}
