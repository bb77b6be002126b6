// /people — who has access to the project and with which role (admins): change or remove a
// role, invite by link (expiring, single use), make an account; organization admins also
// disable and enable accounts and make organization admins.

import type { Me, Project, Role } from '../api';
import { copyText, h, replaceChildren } from '../dom';
import { formatDateTime } from '../format';
import type { ViewContext } from '../router';
import {
  ROLES,
  createUser,
  invite,
  listAccounts,
  listInvites,
  listMembers,
  removeMember,
  revokeInvite,
  setRole,
  updateAccount,
  type Invite,
  type Person,
} from '../team-api';
import { card, field, settingsPage, statusLine } from './settings-page';

export function peopleView(ctx: ViewContext): void {
  settingsPage(ctx, 'people', 'People', 'Who has access to this project, with which role.', async ({ me, project, body, signal }) => {
    const [members, invites] = await Promise.all([listMembers(project.id, signal), listInvites(project.id, signal)]);
    const accounts = me.organization_admin ? await listAccounts(signal) : null;
    if (signal.aborted) return;
    replaceChildren(
      body,
      membersCard(me, project, members),
      inviteCard(project, invites),
      createCard(project),
      accounts ? accountsCard(me, accounts) : null,
    );
  });
}

function roleSelect(current: Role | null | undefined, testId: string): HTMLSelectElement {
  return h('select', { 'data-testid': testId }, ...ROLES.map((r) => h('option', { value: r, selected: r === current }, r)));
}

function membersCard(me: Me, project: Project, members: Person[]): HTMLElement {
  const status = statusLine('members-status');
  const rows = members.map((person) => {
    const row = h('tr', { 'data-testid': 'member-row', 'data-email': person.user.email });
    const role = person.organization_admin
      ? h('span', { class: 'muted' }, 'admin (organization admin)')
      : roleSelect(person.role, 'member-role');
    if (role instanceof HTMLSelectElement) {
      role.addEventListener('change', async () => {
        status.clear();
        try {
          await setRole(project.id, person.user.id, role.value as Role);
          status.ok(`${person.user.email} is now ${role.value}.`);
        } catch (err) {
          status.error(err);
        }
      });
    }
    const remove = person.organization_admin || person.user.id === me.user.id
      ? null
      : h('button', { type: 'button', class: 'button button-small button-quiet', 'data-testid': 'member-remove', onclick: async () => {
          if (!confirm(`Take ${person.user.email}'s access to ${project.name} away?`)) return;
          try {
            await removeMember(project.id, person.user.id);
            row.remove();
            status.ok(`${person.user.email} has no access to ${project.name} any more.`);
          } catch (err) {
            status.error(err);
          }
        } }, 'Remove');
    row.append(
      h('td', {}, person.user.email, person.disabled ? h('span', { class: 'badge' }, 'disabled') : null),
      h('td', {}, role),
      h('td', {}, remove));
    return row;
  });
  return card('Members', null,
    h('table', { class: 'data-table', 'data-testid': 'members' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Email'), h('th', {}, 'Role'), h('th', {}, ''))),
      h('tbody', {}, ...rows)),
    status.element);
}

function inviteCard(project: Project, invites: Invite[]): HTMLElement {
  const email = h('input', { type: 'email', required: true, placeholder: 'name@company.com', 'data-testid': 'invite-email' });
  const role = roleSelect('viewer', 'invite-role');
  const hours = h('input', { type: 'number', min: 1, max: 720, value: '72', class: 'input-narrow', 'data-testid': 'invite-hours' });
  const link = h('div', { class: 'invite-link', hidden: true });
  const pending = h('ul', { class: 'plain-list', 'data-testid': 'pending-invites' }, ...invites.map((i) => pendingRow(project, i)));
  const status = statusLine('invite-status');
  return card('Invite by link', 'The link works once, until it expires. Send it to the person: they choose their password.',
    h('form', { class: 'settings-form inline-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      try {
        const made = await invite(project.id, email.value, role.value as Role, Number(hours.value));
        const url = `${location.origin}${made.path}`;
        replaceChildren(link,
          h('code', { class: 'mono', 'data-testid': 'invite-link' }, url),
          h('button', { type: 'button', class: 'button button-small', onclick: () => void copyText(url) }, 'Copy link'));
        link.hidden = false;
        pending.prepend(pendingRow(project, made));
        email.value = '';
      } catch (err) {
        status.error(err);
      }
    } },
    field('Email', email), field('Role', role), field('Expires after (hours)', hours),
    h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'invite' }, 'Make link'), status.element),
    link,
    h('h3', {}, 'Pending invitations'),
    pending);
}

function pendingRow(project: Project, i: Invite): HTMLElement {
  const row = h('li', { 'data-testid': 'pending-invite' },
    h('span', {}, `${i.email} — ${i.role}, expires ${formatDateTime(new Date(i.expires_at))}`));
  row.append(h('button', { type: 'button', class: 'button button-small button-quiet', onclick: async () => {
    await revokeInvite(project.id, i.id);
    row.remove();
  } }, 'Revoke'));
  return row;
}

function createCard(project: Project): HTMLElement {
  const email = h('input', { type: 'email', required: true, 'data-testid': 'new-user-email' });
  const password = h('input', { type: 'password', required: true, minlength: 10, autocomplete: 'new-password', 'data-testid': 'new-user-password' });
  const role = roleSelect('viewer', 'new-user-role');
  const status = statusLine('new-user-status');
  return card('Make an account', `With a role on ${project.name}; tell the person their password (they can change it).`,
    h('form', { class: 'settings-form inline-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      try {
        const made = await createUser(project.id, email.value, password.value, role.value as Role);
        status.ok(`${made.user.email} can sign in now.`);
        email.value = '';
        password.value = '';
      } catch (err) {
        status.error(err);
      }
    } },
    field('Email', email), field('Password (10 characters or more)', password), field('Role', role),
    h('button', { type: 'submit', class: 'button', 'data-testid': 'create-user' }, 'Make account'), status.element));
}

function accountsCard(me: Me, accounts: Person[]): HTMLElement {
  const status = statusLine('accounts-status');
  const rows = accounts.map((person) => {
    const self = person.user.id === me.user.id;
    const admin = h('input', { type: 'checkbox', checked: person.organization_admin, disabled: self, 'data-testid': 'account-org-admin' });
    admin.addEventListener('change', async () => {
      try {
        await updateAccount(person.user.id, { organization_admin: admin.checked });
        status.ok(`${person.user.email} ${admin.checked ? 'is' : 'is not'} an organization admin now.`);
      } catch (err) {
        admin.checked = !admin.checked;
        status.error(err);
      }
    });
    let disabled = person.disabled;
    const toggle = h('button', { type: 'button', class: 'button button-small', disabled: self, 'data-testid': 'account-disable' }, disabled ? 'Enable' : 'Disable');
    toggle.addEventListener('click', async () => {
      try {
        await updateAccount(person.user.id, { disabled: !disabled });
        disabled = !disabled;
        toggle.textContent = disabled ? 'Enable' : 'Disable';
        status.ok(disabled ? `${person.user.email} is signed out everywhere and cannot sign in.` : `${person.user.email} can sign in again.`);
      } catch (err) {
        status.error(err);
      }
    });
    return h('tr', { 'data-testid': 'account-row', 'data-email': person.user.email },
      h('td', {}, person.user.email),
      h('td', {}, h('label', { class: 'choice' }, admin, 'organization admin')),
      h('td', {}, toggle));
  });
  return card('All accounts', 'Organization admins are admins of every project. Disabling an account stops its browser sessions and API tokens at once.',
    h('table', { class: 'data-table', 'data-testid': 'accounts' }, h('tbody', {}, ...rows)),
    status.element);
}
