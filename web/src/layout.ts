// The frame around every signed-in page: header with product, the project switcher, the
// sections the user's role on the project opens, the user (their account page) and logout.

import { forgetMe, getMe, logout, type Me, type Project } from './api';
import { h } from './dom';
import { navigate } from './router';
import { atLeast } from './team-api';

export type Section = 'home' | 'replays' | 'cohorts' | 'feedback' | 'portfolio' | 'settings' | 'account' | 'charts' | 'users' | 'dashboards' | 'notebooks';

/** The project a page works on: `?project=<id>` when given and known, else the first one. */
export function selectedProject(me: Me, url: URL): Project | undefined {
  const wanted = url.searchParams.get('project');
  return me.projects.find((p) => String(p.id) === wanted) ?? me.projects[0];
}

/** Renders header + an empty main area into root and returns the main area. */
export function renderShell(root: HTMLElement, url: URL, section: Section = 'replays'): HTMLElement {
  const projectName = h('span', { class: 'header-project', 'data-testid': 'project-name' });
  const switcher = h('select', { class: 'project-switcher', 'data-testid': 'project-switcher', 'aria-label': 'Project', hidden: true });
  const userEmail = h('a', { class: 'header-user', href: withProject('/account', url), 'data-testid': 'nav-account' });
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
    switcher,
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
      if (me.projects.length > 1) {
        // Several projects: a switcher instead of the name, and the portfolio of all of them.
        projectName.hidden = true;
        switcher.hidden = false;
        for (const p of me.projects) {
          switcher.append(h('option', { value: String(p.id), selected: p.id === project?.id }, p.name));
        }
        switcher.addEventListener('change', () => navigate(switchedTo(url, switcher.value)));
        nav.append(link('portfolio', '/portfolio', 'Portfolio'));
      }
      const role = project?.role;
      // Managers and admins read what viewers said about replays, and change settings.
      if (atLeast(role, 'manager')) {
        nav.append(link('feedback', '/feedback', 'Feedback'), link('settings', '/settings', 'Settings'));
      }
    },
    () => {
      // The page itself reports the failure (and a 401 already went to the login page).
    },
  );

  function link(key: Section, href: string, label: string): HTMLElement {
    return h('a', { href: withProject(href, url), class: `header-link${key === section ? ' active' : ''}`, 'data-testid': `nav-${key}` }, label);
  }

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

/**
 * Where the switcher goes for another project: the same page when it is about the project
 * (a replay belongs to one project: its list instead), with `?project=` set.
 */
export function switchedTo(url: URL, project: string): string {
  const path = url.pathname.startsWith('/replays/') ? '/replays' : url.pathname;
  return `${path}?project=${encodeURIComponent(project)}`;
}

/** An in-app link that stays on the page's project. */
export function withProject(path: string, url: URL): string {
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
