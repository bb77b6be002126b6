// /invite/{secret} — an invitation link: what it offers (organization, project, role, email),
// and the password the new account gets; accepting signs in. Used once, before it expires.

import { ApiError, forgetMe } from '../api';
import { h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import { navigate, type ViewContext } from '../router';
import { acceptInvite, inviteInfo } from '../team-api';

export function inviteView({ root, params, signal }: ViewContext): void {
  const token = params.token ?? '';
  const content = h('div', {}, h('p', { class: 'muted' }, 'Loading the invitation…'));
  root.append(h('div', { class: 'login-page' }, h('div', { class: 'login-card', 'data-testid': 'invite-page' },
    h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'reel'),
    content)));
  inviteInfo(token, signal).then(
    (info) => {
      const password = h('input', { id: 'invite-password', type: 'password', required: true, minlength: 10, autocomplete: 'new-password', 'data-testid': 'invite-password' });
      const error = h('p', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'invite-error' });
      const submit = h('button', { type: 'submit', class: 'button button-primary button-block', 'data-testid': 'accept-invite' }, 'Join');
      replaceChildren(content,
        h('h1', { class: 'login-title' }, `Join ${info.organization}`),
        h('p', { class: 'login-subtitle' }, `${info.email} is invited to ${info.project} as ${info.role}. The link works until ${formatDateTime(new Date(info.expires_at))}.`),
        h('form', { class: 'login-form', onsubmit: async (event: Event) => {
          event.preventDefault();
          error.hidden = true;
          submit.disabled = true;
          try {
            await acceptInvite(token, password.value);
            forgetMe();
            navigate('/replays', { replace: true });
          } catch (err) {
            error.textContent = err instanceof ApiError ? `Could not join: ${err.message}.` : 'Could not join. Please try again.';
            error.hidden = false;
          } finally {
            submit.disabled = false;
          }
        } },
        h('label', { for: 'invite-password' }, 'Choose a password (10 characters or more)'), password, error, submit));
    },
    (err: unknown) => {
      if (signal.aborted) return;
      const gone = err instanceof ApiError && err.status === 404;
      replaceChildren(content,
        h('h1', { class: 'login-title' }, gone ? 'This link does not work' : 'Could not open the invitation'),
        h('p', { class: 'login-subtitle', 'data-testid': 'invite-gone' }, gone ? 'It was used already, revoked, or it has expired. Ask whoever invited you for a new one.' : String(err)),
        h('a', { href: '/login' }, 'Sign in'));
    },
  );
}
