// Install instructions shown when a project has no replays: filled in with the project's own
// API key and this server's origin, so they can be pasted as they are.

import { copyText, h } from './dom';

function quote(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

/** reel's own SDK as two script tags. */
export function reelSnippet(apiKey: string, origin: string): string {
  return (
    `<script src="${origin}/sdk.js"></script>\n` +
    `<script>reel.init({apiKey:${quote(apiKey)}, serverUrl:${quote(origin)}})</script>`
  );
}

/** For sites already on Amplitude's Browser SDK + Session Replay plugin: only the URLs change. */
export function amplitudeSnippet(apiKey: string, origin: string): string {
  return [
    `import * as amplitude from '@amplitude/analytics-browser';`,
    `import { sessionReplayPlugin } from '@amplitude/plugin-session-replay-browser';`,
    ``,
    `amplitude.init(${quote(apiKey)}, {`,
    `  serverUrl: ${quote(`${origin}/2/httpapi`)},`,
    `  remoteConfig: { serverUrl: ${quote(`${origin}/config`)} },`,
    `  enableDiagnostics: false,`,
    `});`,
    `amplitude.add(sessionReplayPlugin({`,
    `  sampleRate: 1,`,
    `  trackServerUrl: ${quote(`${origin}/sessions/v2/track`)},`,
    `  configServerUrl: ${quote(`${origin}/config`)},`,
    `}));`,
  ].join('\n');
}

/** A titled code block with a copy button. */
export function snippetBlock(title: string, hint: string, code: string, testId: string): HTMLElement {
  const label = h('span', {}, 'Copy');
  const button = h(
    'button',
    { type: 'button', class: 'button button-small', 'data-testid': `${testId}-copy` },
    label,
  );
  button.addEventListener('click', async () => {
    const ok = await copyText(code);
    label.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    window.setTimeout(() => (label.textContent = 'Copy'), 2000);
  });
  return h(
    'section',
    { class: 'snippet' },
    h('div', { class: 'snippet-head' }, h('div', {}, h('h3', {}, title), h('p', {}, hint)), button),
    h('pre', { class: 'snippet-code', 'data-testid': testId }, h('code', {}, code)),
  );
}
