// Entry point: wires routes to views and the "401 → /login?next=…" rule.

import { forgetMe, setUnauthenticatedHandler } from './api';
import { h } from './dom';
import { notice, renderShell } from './layout';
import { navigate, route, startRouter, type ViewContext } from './router';
import { accountView } from './views/account';
import { auditLogView } from './views/audit-log';
import { billingView } from './views/billing';
import { boardsView, boardView } from './views/boards';
import { chartsView } from './views/charts';
import { cohortsView } from './views/cohorts';
import { feedbackView } from './views/feedback';
import { homeView } from './views/home';
import { ingestionView } from './views/ingestion';
import { inviteView } from './views/invite';
import { loginView } from './views/login';
import { peopleView } from './views/people';
import { playerView } from './views/player';
import { portfolioView } from './views/portfolio';
import { projectSettingsView } from './views/project-settings';
import { replaySettingsView } from './views/replay-settings';
import { replaysView } from './views/replays';
import { userView, usersView } from './views/users';

setUnauthenticatedHandler(() => {
  forgetMe();
  if (location.pathname === '/login' || location.pathname.startsWith('/invite/')) return;
  const next = location.pathname + location.search;
  navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
});

route('/', homeView);
route('/login', loginView);
route('/replays', replaysView);
route('/cohorts', cohortsView);
route('/replays/:id', playerView);
route('/feedback', feedbackView);
route('/portfolio', portfolioView);
route('/settings', replaySettingsView);
route('/settings/project', projectSettingsView);
route('/people', peopleView);
route('/ingestion', ingestionView);
route('/billing', billingView);
route('/audit-log', auditLogView);
route('/account', accountView);
route('/invite/:token', inviteView);
route('/charts', chartsView);
route('/users', usersView);
route('/users/:id', userView);
route('/dashboards', boardsView('dashboard'));
route('/dashboards/:id', boardView('dashboard'));
route('/notebooks', boardsView('notebook'));
route('/notebooks/:id', boardView('notebook'));

function notFoundView({ root, url }: ViewContext): void {
  const main = renderShell(root, url);
  main.append(
    h(
      'div',
      { class: 'page' },
      notice('info', 'Page not found', `There is nothing at ${url.pathname}.`),
      h('p', { class: 'center' }, h('a', { href: '/replays' }, 'Go to Session Replay')),
    ),
  );
}

const appRoot = document.getElementById('app');
if (appRoot) startRouter(appRoot, notFoundView);
