// /settings — the project's Session Replay settings (managers and admins): console logs,
// network errors, the share of sessions recorded, how much is masked, what is left out, the
// shortest session kept, pages never recorded. Both SDKs read them from the remote
// configuration when a page loads: they apply to captures that start after the change.

import { h, replaceChildren } from '../dom';
import type { ViewContext } from '../router';
import { getSettings, updateSettings, type PrivacyLevel, type ProjectSettings } from '../team-api';
import { card, field, settingsPage, statusLine } from './settings-page';

const LEVELS: { level: PrivacyLevel; label: string; description: string }[] = [
  { level: 'light', label: 'Light', description: 'Only sensitive inputs are masked: passwords, emails, phone numbers, card fields.' },
  { level: 'medium', label: 'Medium', description: 'Every input is masked; the text of the page is shown.' },
  { level: 'conservative', label: 'Conservative', description: 'Every input and all text are masked.' },
];

export function replaySettingsView(ctx: ViewContext): void {
  settingsPage(ctx, 'replay', 'Session Replay settings', 'What the SDKs record on your site.', async ({ project, body, signal }) => {
    const settings = await getSettings(project.id, signal);
    if (signal.aborted) return;
    replaceChildren(body, form(project.id, settings));
  });
}

function form(project: number, s: ProjectSettings): HTMLElement {
  const consoleLogs = h('input', { type: 'checkbox', checked: s.console_logs, 'data-testid': 'setting-console-logs' });
  const networkErrors = h('input', { type: 'checkbox', checked: s.network_errors, 'data-testid': 'setting-network-errors' });
  const sampleRate = h('input', { type: 'number', min: 0, max: 100, step: 'any', value: String(round(s.sample_rate * 100)), class: 'input-narrow', 'data-testid': 'setting-sample-rate' });
  const levels = LEVELS.map(({ level, label, description }) =>
    h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'privacy-level', value: level, checked: s.privacy_level === level, 'data-testid': `setting-privacy-${level}` }),
      h('span', {}, h('strong', {}, label), ' — ', description)));
  const maskSelector = h('input', { type: 'text', value: s.mask_selector, placeholder: '.card-number, #address', 'data-testid': 'setting-mask-selector' });
  const blockSelector = h('input', { type: 'text', value: s.block_selector, placeholder: '#chat-widget', 'data-testid': 'setting-block-selector' });
  const unmaskSelector = h('input', { type: 'text', value: s.unmask_selector, placeholder: '.price', 'data-testid': 'setting-unmask-selector' });
  const minSession = h('input', { type: 'number', min: 0, max: 60, step: 1, value: String(s.min_session_ms / 1000), class: 'input-narrow', 'data-testid': 'setting-min-session' });
  const blockedUrls = h('textarea', { rows: 4, placeholder: 'https://shop.example/account*', 'data-testid': 'setting-blocked-urls' }, s.blocked_urls.join('\n'));
  const save = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'save-settings' }, 'Save');
  const status = statusLine('settings-status');

  return h('form', { class: 'settings-form', onsubmit: onSave },
    h('p', { class: 'callout', 'data-testid': 'future-only' },
      'Changes apply to future captures only. Sessions already recorded keep what they captured, and a page that is already open keeps recording as it started; pages loaded after you save record with the new settings.'),
    card('Capture', null,
      h('label', { class: 'choice' }, consoleLogs, h('span', {}, h('strong', {}, 'Console logs'), ' — record console messages (log, info, warn, error).')),
      h('label', { class: 'choice' }, networkErrors, h('span', {}, h('strong', {}, 'Network errors'), ' — record failed requests (URL, method, status; never bodies).')),
      field('Sample rate (% of sessions recorded)', sampleRate),
      field('Minimum session duration (seconds)', minSession, 'Sessions shorter than this are not uploaded (at most 60).')),
    card('Privacy', 'Password fields are always masked.',
      h('fieldset', { class: 'choices' }, h('legend', {}, 'Privacy level'), ...levels),
      field('Mask these elements (CSS selector)', maskSelector, 'Their text and inputs are masked.'),
      field('Block these elements (CSS selector)', blockSelector, 'They are not recorded at all: the replay shows an empty box.'),
      field('Unmask these elements (CSS selector)', unmaskSelector, 'Shown as they are, whatever the level says.'),
      field('Blocked URLs (one pattern a line)', blockedUrls, 'Pages whose URL matches are never recorded; * matches any characters.')),
    h('div', { class: 'form-actions' }, save, status.element));

  async function onSave(event: Event): Promise<void> {
    event.preventDefault();
    status.clear();
    save.disabled = true;
    try {
      const level = levels.map((l) => l.querySelector('input')).find((input) => input?.checked)?.value as PrivacyLevel | undefined;
      await updateSettings(project, {
        console_logs: consoleLogs.checked,
        network_errors: networkErrors.checked,
        sample_rate: Number(sampleRate.value) / 100,
        ...(level ? { privacy_level: level } : {}),
        mask_selector: maskSelector.value,
        block_selector: blockSelector.value,
        unmask_selector: unmaskSelector.value,
        min_session_ms: Math.round(Number(minSession.value) * 1000),
        blocked_urls: blockedUrls.value.split('\n').map((line) => line.trim()).filter(Boolean),
      });
      status.ok('Saved. Sessions that start from now on are recorded with these settings.');
    } catch (err) {
      status.error(err);
    } finally {
      save.disabled = false;
    }
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
