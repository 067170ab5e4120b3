/**
 * Money arrives as integer minor units plus an ISO 4217 code (docs/api.md). The number of
 * minor digits comes from Intl (USD 2, JPY 0, BHD 3), so display and input agree with each
 * other for every currency; input is parsed as text, never through floats.
 */

const LOCALE = 'en-US';
const digitsCache = new Map<string, number>();

export function fractionDigits(currency: string): number {
  const cached = digitsCache.get(currency);
  if (cached !== undefined) return cached;
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // An unknown code: keep two digits rather than failing the whole page.
  }
  digitsCache.set(currency, digits);
  return digits;
}

function toMajor(minor: number, currency: string): number {
  return minor / 10 ** fractionDigits(currency);
}

/** `formatMoney(2500, 'USD')` → "$25.00"; `signed` adds "+" to credits (ledger amounts). */
export function formatMoney(minor: number, currency: string, options: { signed?: boolean } = {}): string {
  const digits = fractionDigits(currency);
  try {
    return new Intl.NumberFormat(LOCALE, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      signDisplay: options.signed ? 'exceptZero' : 'auto',
    }).format(toMajor(minor, currency));
  } catch {
    return `${currency} ${toMajor(minor, currency).toFixed(digits)}`;
  }
}

export type ParsedAmount =
  { readonly ok: true; readonly minor: number } | { readonly ok: false; readonly message: string };

/**
 * Parses what a rep typed ("25", "25.5", "1,250.00") into minor units of `currency`.
 * Rejects more decimals than the currency has, zero, negatives and anything but digits.
 */
export function parseAmount(input: string, currency: string): ParsedAmount {
  const text = input.trim().replace(/,/g, '');
  if (text === '') return { ok: false, message: 'Enter an amount.' };
  const digits = fractionDigits(currency);
  const match = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match)
    return { ok: false, message: 'Enter a positive amount using digits and at most one decimal point, e.g. 25.00.' };
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > digits) {
    return {
      ok: false,
      message:
        digits === 0
          ? `${currency} has no minor units: enter a whole number.`
          : `${currency} amounts have at most ${digits} decimals.`,
    };
  }
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(minor)) return { ok: false, message: 'That amount is too large.' };
  if (minor <= 0) return { ok: false, message: 'The amount must be more than zero.' };
  return { ok: true, minor };
}

/** The value to prefill an amount input with, e.g. 1234 USD → "12.34". */
export function toInputAmount(minor: number, currency: string): string {
  return toMajor(minor, currency).toFixed(fractionDigits(currency));
}
