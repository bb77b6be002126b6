// /account — your password, signing out everywhere, your API tokens (each acts with your roles;
// an expiry is optional; revoke any time).

import { ApiError, forgetMe, getMe } from '../api';
import { copyText, h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import { notice, renderShell } from '../layout';
import { navigate, type ViewContext } from '../router';
import { changePassword, createToken, listTokens, revokeToken, signOutEverywhere, type Token } from '../team-api';
import { card, field, statusLine } from './settings-page';

export function accountView({ root, url, signal }: ViewContext): void {
  const main = renderShell(root, url, 'account');
  const body = h('div', { class: 'settings-body' }, notice('loading', 'Loading…'));
  main.append(h('div', { class: 'page settings-page', 'data-testid': 'account' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { class: 'page-title' }, 'Your account'), h('p', { class: 'page-summary' }, 'Password, browser sessions and API tokens.'))),
    body));
  void (async () => {
    try {
      const [me, tokens] = await Promise.all([getMe(), listTokens(signal)]);
      if (signal.aborted) return;
      replaceChildren(body,
        h('p', { class: 'muted' }, `Signed in as ${me.user.email}, ${me.organization.name}${me.organization_admin ? ' (organization admin)' : ''}.`),
        passwordCard(), sessionsCard(), tokensCard(tokens));
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      replaceChildren(body, notice('error', 'Could not load your account', err instanceof Error ? err.message : String(err)));
    }
  })();
}

function passwordCard(): HTMLElement {
  const current = h('input', { type: 'password', required: true, autocomplete: 'current-password', 'data-testid': 'current-password' });
  const next = h('input', { type: 'password', required: true, minlength: 10, autocomplete: 'new-password', 'data-testid': 'new-password' });
  const status = statusLine('password-status');
  return card('Password', 'Changing it signs out your other browser sessions.',
    h('form', { class: 'settings-form inline-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      try {
        await changePassword(current.value, next.value);
        current.value = '';
        next.value = '';
        status.ok('Changed. Your other browser sessions are signed out.');
      } catch (err) {
        status.error(err instanceof ApiError && err.status === 401 ? new Error('the current password is wrong') : err);
      }
    } },
    field('Current password', current), field('New password (10 characters or more)', next),
    h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'change-password' }, 'Change password'), status.element));
}

function sessionsCard(): HTMLElement {
  return card('Sign out everywhere', 'Every browser signed in as you, this one included. API tokens keep working: revoke them below.',
    h('button', { type: 'button', class: 'button', 'data-testid': 'sign-out-everywhere', onclick: async () => {
      await signOutEverywhere();
      forgetMe();
      navigate('/login');
    } }, 'Sign out everywhere'));
}

function tokensCard(tokens: Token[]): HTMLElement {
  const list = h('tbody', {}, ...tokens.filter((t) => t.kind !== 'browser_session').map(tokenRow));
  const name = h('input', { type: 'text', required: true, placeholder: 'ci', 'data-testid': 'token-name' });
  const days = h('input', { type: 'number', min: 1, max: 3650, placeholder: 'never', class: 'input-narrow', 'data-testid': 'token-days' });
  const made = h('div', { class: 'invite-link', hidden: true });
  const status = statusLine('token-status');
  return card('API tokens', 'For tools: `Authorization: Bearer <token>`. A token acts with your roles; it is shown once.',
    h('table', { class: 'data-table', 'data-testid': 'tokens' },
      h('thead', {}, h('tr', {}, ...['Name', 'Made', 'Last used', 'Expires', ''].map((t) => h('th', {}, t)))),
      list),
    h('form', { class: 'settings-form inline-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      try {
        const token = await createToken(name.value, days.value.trim() === '' ? null : Number(days.value));
        replaceChildren(made, h('code', { class: 'mono', 'data-testid': 'new-token' }, token.token),
          h('button', { type: 'button', class: 'button button-small', onclick: () => void copyText(token.token) }, 'Copy'));
        made.hidden = false;
        list.prepend(tokenRow(token));
        name.value = '';
      } catch (err) {
        status.error(err);
      }
    } },
    field('Name', name), field('Expires after (days; empty: never)', days),
    h('button', { type: 'submit', class: 'button', 'data-testid': 'make-token' }, 'Make token'), status.element),
    made);
}

function tokenRow(t: Token): HTMLElement {
  const row = h('tr', { 'data-testid': 'token-row' },
    h('td', {}, t.name ?? (t.kind === 'configured' ? 'REEL_ADMIN_TOKEN' : '—')),
    h('td', { class: 'tabular' }, formatDateTime(new Date(t.created_at))),
    h('td', { class: 'tabular' }, t.last_used_at ? formatDateTime(new Date(t.last_used_at)) : '—'),
    h('td', { class: 'tabular' }, t.expires_at ? formatDateTime(new Date(t.expires_at)) : 'never'));
  row.append(h('td', {}, h('button', { type: 'button', class: 'button button-small button-quiet', onclick: async () => {
    await revokeToken(t.id);
    row.remove();
  } }, 'Revoke')));
  return row;
}
