// /billing — Plans & Billing (managers and admins): sessions the organization captured this
// month against its quota, what happens over it, and how long each project keeps data;
// organization admins set the quota.

import { h, replaceChildren } from '../dom';
import type { ViewContext } from '../router';
import { getUsage, setQuota, type Usage } from '../team-api';
import { card, field, settingsPage, statusLine } from './settings-page';

export function billingView(ctx: ViewContext): void {
  settingsPage(ctx, 'billing', 'Plans & Billing', 'Sessions captured this month, your quota and retention.', async ({ me, project, body, signal }) => {
    const usage = await getUsage(project.id, signal);
    if (signal.aborted) return;
    replaceChildren(body, usageCard(usage), retentionCard(usage), me.organization_admin ? quotaCard(usage) : null);
  });
}

function usageCard(u: Usage): HTMLElement {
  const quota = u.monthly_session_quota;
  const share = quota ? Math.min(1, u.sessions_captured / Math.max(1, quota)) : 0;
  return card(`Sessions captured in ${u.month} (UTC)`, null,
    h('p', { class: 'usage-figure', 'data-testid': 'sessions-captured' },
      h('strong', {}, String(u.sessions_captured)),
      quota === null || quota === undefined ? ' sessions — no monthly quota' : ` of ${quota} sessions`),
    quota === null || quota === undefined ? null : h('div', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': quota, 'aria-valuenow': u.sessions_captured },
      h('div', { class: `meter-fill${u.over_quota ? ' meter-full' : ''}`, style: `width: ${Math.round(share * 100)}%` })),
    u.over_quota
      ? h('p', { class: 'callout callout-danger', 'data-testid': 'over-quota' },
          'The organization has captured its quota for this month: new sessions are not recorded until the month ends (sessions already recording go on). The SDKs are told to stop, not to retry.')
      : null);
}

function retentionCard(u: Usage): HTMLElement {
  return card('Retention', 'Recordings, events and text older than this are deleted.',
    h('table', { class: 'data-table', 'data-testid': 'retention' },
      h('tbody', {}, ...u.projects.map((p) => h('tr', {}, h('td', {}, p.name), h('td', { class: 'tabular' }, `${p.retention_days} days`))))));
}

function quotaCard(u: Usage): HTMLElement {
  const input = h('input', { type: 'number', min: 0, value: u.quota_is_own && u.monthly_session_quota !== null && u.monthly_session_quota !== undefined ? String(u.monthly_session_quota) : '', placeholder: 'server default', class: 'input-narrow', 'data-testid': 'quota-input' });
  const status = statusLine('quota-status');
  return card('Monthly quota', 'Empty: the server\'s default (REEL_MONTHLY_SESSION_QUOTA).',
    h('form', { class: 'settings-form inline-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      status.clear();
      try {
        await setQuota(input.value.trim() === '' ? null : Number(input.value));
        status.ok('Saved.');
      } catch (err) {
        status.error(err);
      }
    } },
    field('Sessions a month', input),
    h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'save-quota' }, 'Save'), status.element));
}
