/**
 * The shared request text and instant schemas. Free text: the pattern the document states and
 * zod's trim-then-check agree. Instants: its pattern (what the OpenAPI document states) and its zod check
 * (what the server enforces) admit the same strings, and those are exactly the real calendar
 * instants of years 1970–2999 with an offset within ±14:00.
 */
import { describe, expect, it } from 'vitest';
import { INSTANT_PATTERN, Note, TEXT_PATTERN, instant } from './common.js';

const schema = instant();
const admittedByZod = (text: string): boolean => schema.safeParse(text).success;

/** A real calendar day of the proleptic Gregorian calendar, by Date's own arithmetic. */
function isRealDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

describe('instant()', () => {
  it('admits exactly the real days of years 1970–2999: every day 1–31 of every month of the years around each bound and century', () => {
    const years = [
      1969, 1970, 1971, 1972, 1996, 1999, 2000, 2001, 2024, 2100, 2200, 2300, 2400, 2500, 2998, 2999, 3000,
    ];
    let checked = 0;
    for (const year of years) {
      for (let month = 1; month <= 12; month += 1) {
        for (let day = 1; day <= 31; day += 1) {
          const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T12:00:00Z`;
          const expected = year >= 1970 && year <= 2999 && isRealDay(year, month, day);
          expect({ text, pattern: INSTANT_PATTERN.test(text) }).toEqual({ text, pattern: expected });
          expect({ text, zod: admittedByZod(text) }).toEqual({ text, zod: expected });
          checked += 1;
        }
      }
    }
    expect(checked).toBe(years.length * 12 * 31);
  });

  it('admits offsets within ±14:00 and times, fractions and forms RFC 3339 allows; refuses the rest, in the document and the server alike', () => {
    const cases: [string, boolean][] = [
      ['2026-01-01T00:00:00+14:00', true],
      ['2026-01-01T00:00:00-14:00', true],
      ['2026-01-01T00:00:00+13:59', true],
      ['2026-01-01T00:00:00-00:30', true],
      ['2026-01-01T00:00:00+14:01', false],
      ['2026-01-01T00:00:00-19:53', false],
      ['2026-01-01T00:00:00-22:00', false],
      ['2026-01-01T23:59:59.123456789Z', true],
      ['2026-01-01T23:59:59.1234567890Z', false],
      ['2026-01-01T24:00:00Z', false],
      ['2026-01-01T23:60:00Z', false],
      ['2026-01-01T00:00Z', false],
      ['2026-01-01T00:00:00', false],
      ['2026-01-01 00:00:00Z', false],
      ['2026-01-01T00:00:00z', false],
      ['2026-01-01T00:00:00+0100', false],
      ['1186-05-15T19:28:03.3-19:53', false],
      ['0667-01-12T17:09:31-22:00', false],
      ['0022-01-01T00:00:00Z', false],
    ];
    for (const [text, expected] of cases) {
      expect({ text, pattern: INSTANT_PATTERN.test(text), zod: admittedByZod(text) }).toEqual({
        text,
        pattern: expected,
        zod: expected,
      });
    }
  });
});

describe('free text (Note)', () => {
  it('refuses blank text and any NUL character, in the document and the server alike; JavaScript whitespace counts as blank', () => {
    const cases: [string, boolean][] = [
      ['a', true],
      ['  refund  ', true],
      ['\u3000x', true],
      ['é', true],
      [' ', false],
      ['\t\n\r', false],
      ['\ufeff', false],
      ['\u00a0\u2028', false],
      ['a\u0000b', false],
      ['\u0000', false],
      ['\uf8b2p\u00c8S\u0000\u00da', false],
    ];
    for (const [text, expected] of cases) {
      expect({ text, pattern: TEXT_PATTERN.test(text), zod: Note.safeParse(text).success }).toEqual({
        text,
        pattern: expected,
        zod: expected,
      });
    }
  });
});
