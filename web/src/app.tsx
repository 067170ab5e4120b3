import type { ReactElement, ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Layout } from './components/layout';
import { Loading } from './components/states';
import { AdminPage } from './pages/admin';
import { ApprovalPage, ApprovalsPage } from './pages/approvals';
import { CustomerPage } from './pages/customer';
import { CustomersPage } from './pages/customers';
import { ForbiddenPage, NotFoundPage } from './pages/not-found';
import { PurchasePage } from './pages/purchase';
import { PurchasesPage } from './pages/purchases';
import { SignInPage } from './pages/sign-in';
import { can, useSession, type Permission } from './session';

function RequireSession({ children }: { readonly children: ReactNode }): ReactElement {
  const session = useSession();
  const location = useLocation();
  if (session.status === 'checking')
    return (
      <main className="centered-page">
        <Loading what="your session" />
      </main>
    );
  if (session.status === 'signed_out') {
    return (
      <Navigate to="/sign-in" replace state={{ from: `${location.pathname}${location.search}${location.hash}` }} />
    );
  }
  return <>{children}</>;
}

function RequirePermission({
  permission,
  children,
}: {
  readonly permission: Permission;
  readonly children: ReactNode;
}): ReactElement {
  const { me } = useSession();
  return can(me, permission) ? <>{children}</> : <ForbiddenPage />;
}

export function App(): ReactElement {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route
        element={
          <RequireSession>
            <Layout />
          </RequireSession>
        }
      >
        <Route index element={<Navigate to="/customers" replace />} />
        <Route path="customers" element={<CustomersPage />} />
        <Route path="customers/:customerId" element={<CustomerPage />} />
        <Route path="purchases" element={<PurchasesPage />} />
        <Route path="purchases/:purchaseId" element={<PurchasePage />} />
        <Route path="approvals" element={<ApprovalsPage />} />
        <Route path="approvals/:approvalId" element={<ApprovalPage />} />
        <Route
          path="admin/*"
          element={
            <RequirePermission permission="admin">
              <AdminPage />
            </RequirePermission>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
