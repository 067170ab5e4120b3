import type { ReactElement } from 'react';
import { formatMoney } from '../lib/money';

/** An amount in minor units, formatted by its currency; `signed` colours debits and credits. */
export function Money({
  amount,
  currency,
  signed = false,
  testId,
}: {
  readonly amount: number;
  readonly currency: string;
  readonly signed?: boolean;
  readonly testId?: string;
}): ReactElement {
  const tone = signed ? (amount < 0 ? 'money-debit' : amount > 0 ? 'money-credit' : '') : '';
  return (
    <span className={`money ${tone}`} data-testid={testId} data-amount={amount} data-currency={currency}>
      {formatMoney(amount, currency, { signed })}
    </span>
  );
}
