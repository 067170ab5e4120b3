/**
 * Money is an integer number of minor units (cents) plus an ISO 4217 currency code: integers
 * add and compare exactly, floats do not. Amounts that enter the service are positive safe
 * integers; anything derived from them (totals, discounts) is computed here with integer maths.
 */

export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** Upper bound of any single amount we accept: far below 2^53, far above any real purchase. */
export const MAX_AMOUNT = 1_000_000_000_00;

export function isValidAmount(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount > 0 && amount <= MAX_AMOUNT;
}

export function multiply(unitAmount: number, quantity: number): number {
  const result = unitAmount * quantity;
  if (!Number.isSafeInteger(result)) throw new RangeError(`amount overflow: ${unitAmount} x ${quantity}`);
  return result;
}

const FRACTION_DIGITS: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, BHD: 3, KWD: 3 };

export function fractionDigits(currency: string): number {
  return FRACTION_DIGITS[currency] ?? 2;
}

/** "USD 12.34" style, for log lines and notes; the internal app formats with Intl. */
export function formatMoney(money: Money): string {
  const digits = fractionDigits(money.currency);
  const sign = money.amount < 0 ? '-' : '';
  const abs = Math.abs(money.amount);
  const major = Math.floor(abs / 10 ** digits);
  const minor = abs % 10 ** digits;
  return `${money.currency} ${sign}${major}${digits > 0 ? '.' + String(minor).padStart(digits, '0') : ''}`;
}
