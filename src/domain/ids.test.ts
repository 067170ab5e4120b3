import { afterEach, describe, expect, it, vi } from 'vitest';
import { newId } from './ids.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('newId', () => {
  it('is the prefix and a ULID: 10 time characters, then 16 random ones', () => {
    const before = Date.now();
    const id = newId('req');
    expect(id).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
    let time = 0;
    for (const c of id.slice(4, 14)) time = time * 32 + CROCKFORD.indexOf(c);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });

  it('never repeats and sorts in the order the ids were made (monotonic within a millisecond)', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('ent'));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('draws the random part afresh each millisecond, every character about as often', () => {
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => (now += 1));
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      for (const c of newId('pur').slice(14)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    // 64,000 characters: 2,000 expected of each; a fair source stays far inside half and twice that.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(1000);
      expect(count).toBeLessThan(4000);
    }
  });
});
