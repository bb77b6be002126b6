// The player's controls and its URL bar. Below the stage: the timeline (its band and marker
// layers are drawn by timeline-decorations.ts), play/pause, ±10 s, the elapsed and wall-clock
// time, skip inactivity, speeds, the shortcuts popover, fullscreen. Above it: the URL of the page
// shown and the Live badge. They show what the player tells them and pass what the viewer does
// on as commands; the player decides.

import { h } from '../dom';
import { formatClock } from '../format';
import { icon } from './icons';
import { SHORTCUTS } from './keyboard-shortcuts';
import { formatWallClock } from './time';

export const SPEEDS = [0.5, 1, 2, 4, 8, 16] as const;
export type Speed = (typeof SPEEDS)[number];

export interface ControlCommands {
  togglePlay(): void;
  skipBack(): void;
  skipForward(): void;
  setSpeed(speed: Speed): void;
  setSkipInactive(on: boolean): void;
  toggleFullscreen(): void;
  /** The viewer drags the timeline; it is at `offset` ms from the start. */
  scrub(offset: number): void;
  /** The viewer let go of the timeline at `offset` ms from the start. */
  scrubEnd(offset: number): void;
}

export interface PlayerControls {
  /** The URL of the page shown and the Live badge, above the stage. */
  urlBar: HTMLElement;
  /** Everything below the stage. */
  element: HTMLElement;
  /** The timeline and the layers over it (timeline-decorations.ts draws them). */
  timeline: TimelineParts;
  /** Where the timeline's handle is, in ms from the start. */
  timelineOffset(): number;
  showPlayState(playing: boolean, speed: Speed): void;
  showSkipInactive(on: boolean): void;
  /** The recording's length in ms: the timeline's end. */
  showTotal(total: number): void;
  showLive(live: boolean): void;
  /** The playhead, `offset` of `total` ms; the timeline's handle is left alone while dragged. */
  showPosition(offset: number, total: number, scrubbing: boolean): void;
  /** The time of day of `time` (epoch ms) in the project's timezone. */
  showWallClock(time: number): void;
  showUrl(href: string): void;
  showFullscreen(on: boolean): void;
  toggleHelp(show?: boolean): void;
}

export interface TimelineParts {
  wrap: HTMLElement;
  bands: HTMLElement;
  markers: HTMLElement;
  tooltip: HTMLElement;
}

export function createControls(
  settings: { timeZone: string; live: boolean; skipInactive: boolean },
  commands: ControlCommands,
): PlayerControls {
  const urlText = h('span', { class: 'player-url-text', 'data-testid': 'current-url' }, '—');
  const liveBadge = h('span', { class: 'live-badge', 'data-testid': 'live-badge', hidden: !settings.live }, 'Live');
  const urlBar = h('div', { class: 'player-urlbar' }, h('span', { class: 'player-url-lock', 'aria-hidden': 'true' }), urlText, liveBadge);
  const playButton = h('button', { type: 'button', class: 'icon-button play-toggle', 'data-testid': 'play-toggle' });
  const backButton = h(
    'button',
    { type: 'button', class: 'icon-button', title: 'Back 10 seconds (←)', 'aria-label': 'Back 10 seconds', 'data-testid': 'skip-back' },
    '↺ 10',
  );
  const forwardButton = h(
    'button',
    { type: 'button', class: 'icon-button', title: 'Forward 10 seconds (→)', 'aria-label': 'Forward 10 seconds', 'data-testid': 'skip-forward' },
    '10 ↻',
  );
  const timeDisplay = h('span', { class: 'time-display tabular', 'data-testid': 'time-display' });
  const wallClock = h('span', { class: 'wall-clock tabular', 'data-testid': 'wall-clock', title: `Time of day in ${settings.timeZone}` });
  const timelineInput = h('input', {
    type: 'range', class: 'timeline', min: 0, step: 1, value: 0, 'aria-label': 'Seek', 'data-testid': 'timeline',
  });
  const timeline: TimelineParts = {
    bands: h('div', { class: 'timeline-bands', 'aria-hidden': 'true' }),
    markers: h('div', { class: 'timeline-markers', 'data-testid': 'timeline-markers' }),
    tooltip: h('div', { class: 'marker-tooltip', role: 'tooltip', hidden: true, 'data-testid': 'marker-tooltip' }),
    wrap: h('div', { class: 'timeline-wrap' }),
  };
  timeline.wrap.append(timeline.bands, timeline.markers, timelineInput, timeline.tooltip);
  const speedButtons = SPEEDS.map((value) =>
    h('button', { type: 'button', class: 'segment', 'data-speed': value, 'data-testid': `speed-${value}x` }, `${value}×`),
  );
  const skipToggle = h('input', { type: 'checkbox', 'data-testid': 'skip-inactive' });
  skipToggle.checked = settings.skipInactive;
  const fullscreenButton = h(
    'button',
    { type: 'button', class: 'icon-button', title: 'Fullscreen (F)', 'aria-label': 'Fullscreen', 'data-testid': 'fullscreen' },
    icon('fullscreen'),
  );
  const help = shortcutsHelp();
  const element = h(
    'div',
    { class: 'controls' },
    timeline.wrap,
    h(
      'div',
      { class: 'controls-row' },
      backButton,
      playButton,
      forwardButton,
      timeDisplay,
      wallClock,
      h('div', { class: 'controls-spacer' }),
      h('label', { class: 'toggle', title: 'Pass stretches without activity quickly (S)' }, skipToggle, h('span', {}, 'Skip inactivity')),
      h('div', { class: 'segmented speed-group', role: 'group', 'aria-label': 'Playback speed' }, ...speedButtons),
      h('div', { class: 'help-wrap' }, help.button, help.popover),
      fullscreenButton,
    ),
  );

  playButton.addEventListener('click', () => commands.togglePlay());
  backButton.addEventListener('click', () => commands.skipBack());
  forwardButton.addEventListener('click', () => commands.skipForward());
  for (const button of speedButtons) button.addEventListener('click', () => commands.setSpeed(Number(button.dataset.speed) as Speed));
  skipToggle.addEventListener('change', () => commands.setSkipInactive(skipToggle.checked));
  fullscreenButton.addEventListener('click', () => commands.toggleFullscreen());
  help.button.addEventListener('click', () => help.toggle());
  timelineInput.addEventListener('input', () => commands.scrub(Number(timelineInput.value)));
  timelineInput.addEventListener('change', () => commands.scrubEnd(Number(timelineInput.value)));

  return {
    urlBar,
    element,
    timeline,
    timelineOffset: () => Number(timelineInput.value),
    showPlayState(playing, speed) {
      playButton.textContent = playing ? '❚❚' : '▶';
      playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
      playButton.title = playing ? 'Pause (space)' : 'Play (space)';
      playButton.dataset.state = playing ? 'playing' : 'paused';
      for (const button of speedButtons) {
        const active = Number(button.dataset.speed) === speed;
        button.classList.toggle('active', active);
        button.setAttribute('aria-pressed', String(active));
      }
    },
    showSkipInactive(on) {
      skipToggle.checked = on;
    },
    showTotal(total) {
      timelineInput.max = String(Math.max(0, total));
    },
    showLive(live) {
      liveBadge.hidden = !live;
    },
    showPosition(offset, total, scrubbing) {
      if (!scrubbing) timelineInput.value = String(Math.round(offset));
      timelineInput.style.setProperty('--progress', total > 0 ? `${(offset / total) * 100}%` : '0%');
      const text = `${formatClock(offset)} / ${formatClock(total)}`;
      if (timeDisplay.textContent !== text) timeDisplay.textContent = text;
    },
    showWallClock(time) {
      const wall = formatWallClock(time, settings.timeZone);
      if (wallClock.textContent !== wall) wallClock.textContent = wall;
    },
    showUrl(href) {
      if (urlText.textContent !== href) {
        urlText.textContent = href || '—';
        urlText.title = href;
      }
    },
    showFullscreen(on) {
      fullscreenButton.setAttribute('aria-pressed', String(on));
    },
    toggleHelp: (show) => help.toggle(show),
  };
}

/** The "?" button and the popover listing the keyboard shortcuts. */
function shortcutsHelp(): { button: HTMLElement; popover: HTMLElement; toggle(show?: boolean): void } {
  const button = h(
    'button',
    { type: 'button', class: 'icon-button', title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts', 'aria-expanded': 'false', 'data-testid': 'shortcuts-button' },
    '?',
  );
  const popover = h(
    'div',
    { class: 'shortcuts-popover', role: 'dialog', 'aria-label': 'Keyboard shortcuts', hidden: true, 'data-testid': 'shortcuts-help' },
    h('h3', {}, 'Keyboard shortcuts'),
    h('dl', {}, ...SHORTCUTS.flatMap(([keys, what]) => [h('dt', {}, h('kbd', {}, keys)), h('dd', {}, what)])),
  );
  return {
    button,
    popover,
    toggle(show = popover.hidden) {
      popover.hidden = !show;
      button.setAttribute('aria-expanded', String(show));
    },
  };
}
