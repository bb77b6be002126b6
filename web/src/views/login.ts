// /login — email + password; on success go to `next` (when it is an in-app path) or /replays.

import { ApiError, forgetMe, login } from '../api';
import { h } from '../dom';
import { navigate, type ViewContext } from '../router';

export function loginView({ root, url }: ViewContext): void {
  const email = h('input', {
    id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', required: true, autofocus: true,
  });
  const password = h('input', {
    id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button button-primary button-block' }, 'Sign in');

  const form = h(
    'form',
    { class: 'login-form', novalidate: true, onsubmit: onSubmit },
    h('label', { for: 'login-email' }, 'Email'),
    email,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    error,
    submit,
  );

  root.append(
    h(
      'div',
      { class: 'login-page' },
      h(
        'div',
        { class: 'login-card' },
        h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'reel'),
        h('h1', { class: 'login-title' }, 'Sign in'),
        h('p', { class: 'login-subtitle' }, 'Watch how people really use your site.'),
        form,
      ),
    ),
  );
  email.focus();

  async function onSubmit(event: Event): Promise<void> {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      showError('Enter your email and password.');
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    error.hidden = true;
    try {
      await login(email.value.trim(), password.value);
      forgetMe();
      navigate(safeNext(url.searchParams.get('next')), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        showError('Wrong email or password. Please try again.');
        password.select();
      } else if (err instanceof ApiError) {
        showError(`Could not sign in: ${err.message}.`);
      } else {
        showError('Could not sign in. Please try again.');
      }
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  }

  function showError(message: string): void {
    error.textContent = message;
    error.hidden = false;
  }
}

/** Only same-site paths are allowed as a post-login target (no open redirect via `next`). */
function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) {
    return '/replays';
  }
  return next;
}
