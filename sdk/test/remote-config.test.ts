import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, parseRemoteConfig } from '../src/remote-config';

/** The remote configuration as reel's server answers it (crates/reel-engine/src/replay_settings.rs). */
function answer(sessionReplay: unknown): unknown {
  return { configs: { sessionReplay, analyticsSDK: { browserSDK: {} } } };
}

test('the remote configuration is read as the server writes it', () => {
  const parsed = parseRemoteConfig(
    answer({
      sr_sampling_config: { capture_enabled: true, sample_rate: 0.25, min_session_duration_ms: 5000 },
      sr_privacy_config: { defaultMaskLevel: 'conservative', maskSelector: ['.card'], blockSelector: ['#chat'], unmaskSelector: [], urlMaskLevels: [] },
      sr_logging_config: { console: { enabled: false, levels: ['log'] }, network: { enabled: true } },
      reel_blocked_urls: ['https://shop.test/account*'],
    }),
  );
  assert.deepEqual(parsed, {
    captureEnabled: true,
    sampleRate: 0.25,
    minSessionMs: 5000,
    privacyLevel: 'conservative',
    maskSelectors: ['.card'],
    blockSelectors: ['#chat'],
    unmaskSelectors: [],
    console: false,
    network: true,
    blockedUrls: ['https://shop.test/account*'],
  });
  // (answer, what it reads as)
  const cases: Array<[name: string, body: unknown, check: (s: ReturnType<typeof parseRemoteConfig>) => boolean]> = [
    ['no sessionReplay: nothing to apply', { configs: {} }, (s) => s === null],
    ['not JSON of an object', 'nope', (s) => s === null],
    ['empty: capture on, local settings', answer({}), (s) => s?.captureEnabled === true && s.console === undefined],
    ['over quota: capture off', answer({ sr_sampling_config: { capture_enabled: false, sample_rate: 1 } }), (s) => s?.captureEnabled === false],
    ['a sampling config without capture_enabled disables capture', answer({ sr_sampling_config: { sample_rate: 1 } }), (s) => s?.captureEnabled === false],
    ['a sample rate out of range is ignored', answer({ sr_sampling_config: { capture_enabled: true, sample_rate: 3 } }), (s) => s?.sampleRate === undefined],
    ['a minimum past one minute is one minute', answer({ sr_sampling_config: { capture_enabled: true, min_session_duration_ms: 1e9 } }), (s) => s?.minSessionMs === 60_000],
    ['a selector may be a string', answer({ sr_privacy_config: { maskSelector: '.a' } }), (s) => s?.maskSelectors.join() === '.a'],
    ['an unknown level is ignored', answer({ sr_privacy_config: { defaultMaskLevel: 'paranoid' } }), (s) => s?.privacyLevel === undefined],
  ];
  for (const [name, body, check] of cases) {
    assert.ok(check(parseRemoteConfig(body)), name);
  }
});

test('the project settings win over the site options, and selectors add up', () => {
  const local = { sampleRate: 1, privacy: { maskSelector: '.mine', maskAllInputs: false } };
  const none = combine(local, null);
  assert.equal(none.captureEnabled, true);
  assert.equal(none.console, true);
  assert.deepEqual(none.privacy, local.privacy);
  const remote = parseRemoteConfig(
    answer({
      sr_sampling_config: { capture_enabled: true, sample_rate: 0 },
      sr_privacy_config: { defaultMaskLevel: 'medium', maskSelector: ['.theirs'] },
      sr_logging_config: { console: { enabled: false }, network: { enabled: false } },
    }),
  );
  const combined = combine(local, remote);
  assert.equal(combined.sampleRate, 0);
  assert.equal(combined.console, false);
  assert.equal(combined.network, false);
  assert.equal(combined.privacy.maskAllInputs, true, 'medium masks every input');
  assert.equal(combined.privacy.maskSelector, '.mine, .theirs');
  const levels: Array<[level: string, inputs: boolean, text: boolean, sensitive: boolean | undefined]> = [
    ['light', false, false, true],
    ['medium', true, false, undefined],
    ['conservative', true, true, undefined],
  ];
  for (const [level, inputs, text, sensitive] of levels) {
    const p = combine({ sampleRate: 1, privacy: undefined }, parseRemoteConfig(answer({ sr_privacy_config: { defaultMaskLevel: level } }))).privacy;
    assert.deepEqual([p.maskAllInputs, p.maskAllText, p.maskSensitiveInputs], [inputs, text, sensitive], level);
  }
});
