import { Button, PasswordField, Text, Title } from '@clickhouse/click-ui';
import { useState, type FormEvent, type ReactElement } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { ErrorMessage } from '../components/states';
import { SignInRefused, useSession } from '../session';
import { useDocumentTitle } from '../lib/use-document-title';

interface FromState {
  readonly from?: string;
}

export function SignInPage(): ReactElement {
  useDocumentTitle('Sign in');
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as FromState | null)?.from ?? '/customers';
  const [token, setToken] = useState('');
  const [refusal, setRefusal] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (session.status === 'signed_in') return <Navigate to={from} replace />;

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setRefusal(null);
    setFailure(null);
    session
      .signIn(token)
      .then(() => navigate(from, { replace: true }))
      .catch((error: unknown) => {
        if (error instanceof SignInRefused) setRefusal(error.message);
        else setFailure(error);
      })
      .finally(() => setBusy(false));
  };

  return (
    <main className="centered-page" id="main">
      <form className="sign-in-card" onSubmit={submit} noValidate data-testid="sign-in-form">
        <Title type="h1" size="lg">
          Customer service
        </Title>
        <Text color="muted">Sign in with your operator token. It is kept only for this browser tab.</Text>
        {session.notice ? (
          <div className="notice" role="status" data-testid="sign-in-notice">
            <Text>{session.notice}</Text>
          </div>
        ) : null}
        <PasswordField
          id="operator-token"
          label="Operator token"
          value={token}
          onChange={(value) => setToken(value)}
          autoComplete="current-password"
          autoFocus
          aria-describedby={refusal ? 'sign-in-error' : undefined}
          aria-invalid={refusal ? true : undefined}
          data-testid="sign-in-token"
        />
        {refusal ? (
          <div id="sign-in-error" role="alert" className="field-error" data-testid="sign-in-error">
            {refusal}
          </div>
        ) : null}
        {failure ? <ErrorMessage error={failure} title="Could not sign in" testId="sign-in-failure" /> : null}
        <Button
          htmlType="submit"
          type="primary"
          label={busy ? 'Checking…' : 'Sign in'}
          disabled={busy}
          loading={busy}
          fillWidth
          data-testid="sign-in-submit"
        />
      </form>
    </main>
  );
}
