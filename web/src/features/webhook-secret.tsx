/**
 * A webhook signing secret, shown once: the API returns it only in the answer of a create or
 * a rotation, and this app keeps it only in this component's state (never in the query cache,
 * the address or storage), so it is gone when the admin dismisses it or leaves the page.
 */
import { Button, Text, Title } from '@clickhouse/click-ui';
import { useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';

type CopyState = 'idle' | 'copied' | 'select';

export function SecretReveal({
  secret,
  title,
  children,
  onDone,
  testId,
}: {
  readonly secret: string;
  readonly title: string;
  /** What else the admin must know (when the old secret stops signing). */
  readonly children?: ReactNode;
  readonly onDone: () => void;
  readonly testId: string;
}): ReactElement {
  const heading = useRef<HTMLHeadingElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<CopyState>('idle');
  useEffect(() => heading.current?.focus(), []);

  const copySecret = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopy('copied');
    } catch {
      // No clipboard (permission, insecure origin): select it so that Ctrl+C copies it.
      input.current?.focus();
      input.current?.select();
      setCopy('select');
    }
  };

  return (
    <section className="panel secret-panel" aria-labelledby={`${testId}-title`} data-testid={testId}>
      <Title type="h2" size="md" id={`${testId}-title`} ref={heading} tabIndex={-1}>
        {title}
      </Title>
      <div className="secret-warning" role="note" data-testid={`${testId}-warning`}>
        <Text weight="semibold">Copy this secret now: it is shown only this once.</Text>
        <Text size="sm">
          Nobody can read it again, not even an admin — the service keeps it only to sign deliveries. If it is lost,
          rotate the secret.
        </Text>
      </div>
      <div className="native-field">
        <label htmlFor={`${testId}-value`}>Signing secret</label>
        <div className="secret-row">
          <input
            id={`${testId}-value`}
            ref={input}
            className="native-input bordered secret-value"
            type="text"
            readOnly
            value={secret}
            spellCheck={false}
            autoComplete="off"
            onFocus={(e) => e.currentTarget.select()}
            data-testid={`${testId}-value`}
          />
          <Button
            type="primary"
            iconLeft="copy"
            label="Copy secret"
            onClick={() => void copySecret()}
            data-testid={`${testId}-copy`}
          />
        </div>
      </div>
      <Text size="sm" color="muted" aria-live="polite" data-testid={`${testId}-copy-status`}>
        {copy === 'copied' ? 'Copied to the clipboard.' : null}
        {copy === 'select'
          ? 'The clipboard is not available here: the secret is selected, press Ctrl+C to copy it.'
          : null}
      </Text>
      {children}
      <div className="form-actions">
        <Button type="secondary" label="I have stored the secret" onClick={onDone} data-testid={`${testId}-done`} />
      </div>
    </section>
  );
}
