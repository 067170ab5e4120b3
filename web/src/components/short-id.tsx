import type { ReactElement } from 'react';

/** `ref_01M89KJZQZ0R4G3512D0KYKY9T` → "ref_…0KYKY9T", with the whole id as a tooltip and for screen readers. */
export function ShortId({ id }: { readonly id: string }): ReactElement {
  const underscore = id.indexOf('_');
  const short = id.length > 16 ? `${id.slice(0, underscore + 1)}…${id.slice(-8)}` : id;
  return (
    <code title={id}>
      <span aria-hidden>{short}</span>
      <span className="visually-hidden">{id}</span>
    </code>
  );
}
