// The frame around every signed-in page: header with product, project, user and logout.

import { forgetMe, getMe, logout, type Me, type Project } from './api';
import { h } from './dom';
import { navigate } from './router';

/** The project a page works on: `?project=<id>` when given and known, else the first one. */
export function selectedProject(me: Me, url: URL): Project | undefined {
  const wanted = url.searchParams.get('project');
  return me.projects.find((p) => String(p.id) === wanted) ?? me.projects[0];
}

/** Renders header + an empty main area into root and returns the main area. */
export function renderShell(
  root: HTMLElement,
  url: URL,
  section: 'home' | 'replays' | 'cohorts' | 'feedback' | 'charts' | 'users' | 'dashboards' | 'notebooks' = 'replays',
): HTMLElement {
  const projectName = h('span', { class: 'header-project', 'data-testid': 'project-name' });
  const userEmail = h('span', { class: 'header-user' });
  const logoutButton = h(
    'button',
    { type: 'button', class: 'button button-quiet', 'data-testid': 'logout', onclick: onLogout },
    'Log out',
  );
  const nav = h(
    'nav',
    { class: 'header-nav' },
    ...(
      [
        ['home', '/', 'Home'],
        ['replays', '/replays', 'Session Replay'],
        ['charts', '/charts', 'Charts'],
        ['users', '/users', 'Users'],
        ['dashboards', '/dashboards', 'Dashboards'],
        ['notebooks', '/notebooks', 'Notebooks'],
        ['cohorts', '/cohorts', 'Cohorts'],
      ] as const
    ).map(([key, href, label]) =>
      h('a', { href: withProject(href, url), class: `header-link${key === section ? ' active' : ''}`, 'data-testid': `nav-${key}` }, label),
    ),
  );
  const header = h(
    'header',
    { class: 'header' },
    h('a', { class: 'brand', href: withProject('/', url) }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'reel'),
    projectName,
    nav,
    h('div', { class: 'header-spacer' }),
    userEmail,
    logoutButton,
  );
  const main = h('main', { class: 'main' });
  root.append(header, main);

  getMe().then(
    (me) => {
      const project = selectedProject(me, url);
      projectName.textContent = project ? project.name : me.organization.name;
      projectName.title = `${me.organization.name} / ${project?.name ?? 'no project'}`;
      userEmail.textContent = me.user.email;
      // Admins read what viewers said about replays (views/feedback.ts).
      if (me.role === 'admin') {
        nav.append(h('a', { href: withProject('/feedback', url), class: `header-link${section === 'feedback' ? ' active' : ''}`, 'data-testid': 'nav-feedback' }, 'Feedback'));
      }
    },
    () => {
      // The page itself reports the failure (and a 401 already went to the login page).
    },
  );

  async function onLogout(): Promise<void> {
    logoutButton.disabled = true;
    try {
      await logout();
    } catch {
      // Logging out of an expired session fails with 401; the user is out either way.
    }
    forgetMe();
    navigate('/login');
  }

  return main;
}

/** An in-app link that stays on the page's project. */
function withProject(path: string, url: URL): string {
  const project = url.searchParams.get('project');
  return project ? `${path}?project=${encodeURIComponent(project)}` : path;
}

/** A centred message block used for loading, error and not-found states. */
export function notice(
  kind: 'loading' | 'error' | 'info',
  title: string,
  detail?: string,
  testId?: string,
): HTMLElement {
  return h(
    'div',
    { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': testId },
    kind === 'loading' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
    h('p', { class: 'notice-title' }, title),
    detail ? h('p', { class: 'notice-detail' }, detail) : null,
  );
}
