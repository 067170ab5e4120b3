/**
 * Who is signed in. The operator token lives in sessionStorage (gone when the tab closes);
 * `GET /v1/me` validates it and says the role. Storefront tokens belong to the storefront
 * service, not to people, and are refused here.
 */
import { Button, Text, Title } from '@clickhouse/click-ui';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactElement,
  type ReactNode,
} from 'react';
import type { Me } from '../../src/contracts/index.js';
import { ApiError, setUnauthenticatedListener, storedToken, storeToken } from './api/client';
import { fetchMe, queryKeys } from './api/queries';
import { describeError } from './lib/problem';

export type Role = Me['role'];
export type OperatorRole = Exclude<Role, 'storefront'>;

/** What each role may do in this app; pages and navigation ask here, never compare roles inline. */
export const PERMISSIONS = {
  readCustomers: ['support', 'admin'],
  moveCredit: ['support', 'admin'],
  refund: ['support', 'admin'],
  admin: ['admin'],
} as const satisfies Record<string, readonly OperatorRole[]>;
export type Permission = keyof typeof PERMISSIONS;

export function can(me: Me | null, permission: Permission): boolean {
  return me !== null && (PERMISSIONS[permission] as readonly Role[]).includes(me.role);
}

export class SignInRefused extends Error {}

export interface Session {
  readonly status: 'signed_out' | 'checking' | 'signed_in';
  readonly me: Me | null;
  /** Why the last session ended, shown on the sign-in page. */
  readonly notice: string | null;
  readonly signIn: (token: string) => Promise<Me>;
  readonly signOut: (notice?: string) => void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

export function SessionProvider({ children }: { readonly children: ReactNode }): ReactElement {
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(() => storedToken());
  const [notice, setNotice] = useState<string | null>(null);

  const meQuery = useQuery({
    queryKey: queryKeys.me(token ?? ''),
    queryFn: ({ signal }) => fetchMe(token ?? '', signal),
    enabled: token !== null,
    retry: (count, error) => !(error instanceof ApiError && error.kind === 'problem') && count < 2,
    staleTime: Infinity,
  });

  const signOut = useCallback(
    (why?: string) => {
      storeToken(null);
      setToken(null);
      setNotice(why ?? null);
      queryClient.clear();
    },
    [queryClient],
  );

  useEffect(() => {
    setUnauthenticatedListener(() =>
      signOut('Your session has ended: the token is no longer accepted. Sign in again.'),
    );
    return () => setUnauthenticatedListener(null);
  }, [signOut]);

  // A stored token that no longer works (or was a storefront one) ends the session.
  const storedMe = meQuery.data ?? null;
  useEffect(() => {
    if (token === null) return;
    if (meQuery.error instanceof ApiError && meQuery.error.status === 401)
      signOut('Your session has ended: the token is no longer accepted. Sign in again.');
    else if (storedMe?.role === 'storefront') signOut(storefrontMessage);
  }, [token, meQuery.error, storedMe, signOut]);

  const signIn = useCallback(
    async (candidate: string): Promise<Me> => {
      const trimmed = candidate.trim();
      if (!trimmed) throw new SignInRefused('Enter your operator token.');
      let me: Me;
      try {
        me = await fetchMe(trimmed);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401)
          throw new SignInRefused('This token is not recognised. Check it and try again.');
        throw error;
      }
      if (me.role === 'storefront') throw new SignInRefused(storefrontMessage);
      storeToken(trimmed);
      queryClient.setQueryData(queryKeys.me(trimmed), me);
      setNotice(null);
      setToken(trimmed);
      return me;
    },
    [queryClient],
  );

  const value = useMemo<Session>(() => {
    let status: Session['status'] = 'signed_out';
    if (token !== null) status = storedMe && storedMe.role !== 'storefront' ? 'signed_in' : 'checking';
    return { status, me: status === 'signed_in' ? storedMe : null, notice, signIn, signOut };
  }, [token, storedMe, notice, signIn, signOut]);

  // A stored token whose check failed for another reason (network, 5xx) must not hang on "checking".
  if (token !== null && meQuery.isError && !(meQuery.error instanceof ApiError && meQuery.error.status === 401)) {
    return (
      <SessionContext.Provider value={value}>
        <SessionCheckFailed error={meQuery.error} onRetry={() => void meQuery.refetch()} onSignOut={() => signOut()} />
      </SessionContext.Provider>
    );
  }
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

const storefrontMessage =
  'This is a storefront service token, not an operator token. Sign in with your support or admin token.';

function SessionCheckFailed({
  error,
  onRetry,
  onSignOut,
}: {
  readonly error: unknown;
  readonly onRetry: () => void;
  readonly onSignOut: () => void;
}): ReactElement {
  const { message } = describeError(error);
  return (
    <main className="centered-page" data-testid="session-check-failed">
      <div className="sign-in-card">
        <Title type="h1" size="lg">
          Could not check your session
        </Title>
        <Text>{message}</Text>
        <div className="row">
          <Button type="primary" label="Retry" onClick={onRetry} />
          <Button type="secondary" label="Sign out" onClick={onSignOut} />
        </div>
      </div>
    </main>
  );
}
