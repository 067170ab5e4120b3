/** The signed-in frame: header with who is signed in, the role-filtered navigation, the page. */
import { Badge, Button, Text } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { NAVIGATION } from '../navigation';
import { can, useSession } from '../session';

export function Layout(): ReactElement {
  const { me, signOut } = useSession();
  const navigate = useNavigate();
  const sections = NAVIGATION.map((section) => ({
    ...section,
    items: section.items.filter((item) => can(me, item.permission)),
  })).filter((section) => section.items.length > 0);
  return (
    <div className="app-frame">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-brand">
          <span className="app-brand-mark" aria-hidden>
            ◆
          </span>
          <Text weight="semibold">Customer service</Text>
          <Text size="sm" color="muted">
            Purchase ledger
          </Text>
        </div>
        <div className="app-user" data-testid="current-user">
          <Text size="sm">
            Signed in as <strong data-testid="current-user-name">{me?.name}</strong>
          </Text>
          {me ? (
            <Badge
              text={me.role}
              state={me.role === 'admin' ? 'info' : 'neutral'}
              size="sm"
              data-testid="current-user-role"
            />
          ) : null}
          <Button
            type="secondary"
            label="Sign out"
            onClick={() => {
              signOut();
              navigate('/sign-in', { replace: true });
            }}
            data-testid="sign-out"
          />
        </div>
      </header>
      <div className="app-body">
        <nav className="app-nav" aria-label="Main">
          {sections.map((section) => (
            <div key={section.title} className="nav-section" data-testid={section.testId}>
              <h2 className="nav-section-title">{section.title}</h2>
              <ul>
                {section.items.map((item) => (
                  <li key={item.to}>
                    {item.external ? (
                      <a className="nav-link" href={item.to} target="_blank" rel="noreferrer" data-testid={item.testId}>
                        {item.label} <span aria-hidden>↗</span>
                        <span className="visually-hidden"> (opens in a new tab)</span>
                      </a>
                    ) : (
                      <NavLink
                        className={({ isActive }) => `nav-link${isActive ? ' nav-link-active' : ''}`}
                        to={item.to}
                        end={item.end}
                        data-testid={item.testId}
                      >
                        {item.label}
                      </NavLink>
                    )}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" className="app-main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
