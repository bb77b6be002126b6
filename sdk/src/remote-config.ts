/**
 * The project's Session Replay settings, as the server's remote configuration gives them
 * (`GET /config?api_key=…`, the answer Amplitude's replay SDK reads too), and how they combine
 * with the options the site passed to `init`: the project's settings win for what they say
 * (capture, sample rate, privacy level, console, network, minimum duration, blocked pages) and
 * their selectors add to the site's. Pure, apart from the fetch.
 */
import type { PrivacyOptions } from './privacy';

export type PrivacyLevel = 'light' | 'medium' | 'conservative';

export interface RemoteSettings {
  /** False: record nothing (the organization is over its quota, or capture is off). */
  captureEnabled: boolean;
  sampleRate?: number;
  minSessionMs?: number;
  privacyLevel?: PrivacyLevel;
  maskSelectors: string[];
  blockSelectors: string[];
  unmaskSelectors: string[];
  console?: boolean;
  network?: boolean;
  blockedUrls: string[];
}

/** What the recording does once local options and remote settings are combined. */
export interface CaptureSettings {
  captureEnabled: boolean;
  sampleRate: number;
  minSessionMs: number;
  console: boolean;
  network: boolean;
  blockedUrls: string[];
  privacy: PrivacyOptions;
}

/** How long a page waits for the configuration before recording with its own options. */
export const CONFIG_TIMEOUT_MS = 3000;
/** The longest minimum duration honoured (Amplitude's SDK's bound). */
const MAX_MIN_SESSION_MS = 60_000;

/** Reads `configs.sessionReplay` of the remote configuration; null when it is not there. */
export function parseRemoteConfig(body: unknown): RemoteSettings | null {
  const replay = get(get(body, 'configs'), 'sessionReplay');
  if (!isObject(replay)) return null;
  const sampling = get(replay, 'sr_sampling_config');
  const privacy = get(replay, 'sr_privacy_config');
  const logging = get(replay, 'sr_logging_config');
  const settings: RemoteSettings = {
    // Amplitude's rule: a sampling config without capture_enabled disables capture.
    captureEnabled: isObject(sampling) ? get(sampling, 'capture_enabled') === true : true,
    maskSelectors: selectors(get(privacy, 'maskSelector')),
    blockSelectors: selectors(get(privacy, 'blockSelector')),
    unmaskSelectors: selectors(get(privacy, 'unmaskSelector')),
    blockedUrls: strings(get(replay, 'reel_blocked_urls')),
  };
  const rate = get(sampling, 'sample_rate');
  if (typeof rate === 'number' && rate >= 0 && rate <= 1) settings.sampleRate = rate;
  const min = get(sampling, 'min_session_duration_ms');
  if (typeof min === 'number' && Number.isFinite(min) && min >= 0) settings.minSessionMs = Math.min(min, MAX_MIN_SESSION_MS);
  const level = get(privacy, 'defaultMaskLevel');
  if (level === 'light' || level === 'medium' || level === 'conservative') settings.privacyLevel = level;
  const consoleEnabled = get(get(logging, 'console'), 'enabled');
  if (typeof consoleEnabled === 'boolean') settings.console = consoleEnabled;
  const networkEnabled = get(get(logging, 'network'), 'enabled');
  if (typeof networkEnabled === 'boolean') settings.network = networkEnabled;
  return settings;
}

/** The settings in force: the site's options, with the project's settings over them. */
export function combine(local: { sampleRate: number; privacy: PrivacyOptions | undefined }, remote: RemoteSettings | null): CaptureSettings {
  const privacy: PrivacyOptions = { ...(local.privacy ?? {}) };
  if (!remote) {
    return { captureEnabled: true, sampleRate: local.sampleRate, minSessionMs: 0, console: true, network: true, blockedUrls: [], privacy };
  }
  switch (remote.privacyLevel) {
    case 'light':
      privacy.maskAllInputs = false;
      privacy.maskSensitiveInputs = true;
      privacy.maskAllText = false;
      break;
    case 'medium':
      privacy.maskAllInputs = true;
      privacy.maskAllText = false;
      break;
    case 'conservative':
      privacy.maskAllInputs = true;
      privacy.maskAllText = true;
      break;
    default:
  }
  const union = (mine: string | undefined, theirs: string[]): string | undefined => {
    const all = [mine, ...theirs].filter((s): s is string => typeof s === 'string' && s.trim().length > 0);
    return all.length ? all.join(', ') : undefined;
  };
  const mask = union(privacy.maskSelector, remote.maskSelectors);
  const block = union(privacy.blockSelector, remote.blockSelectors);
  const unmask = union(privacy.unmaskSelector, remote.unmaskSelectors);
  if (mask) privacy.maskSelector = mask;
  if (block) privacy.blockSelector = block;
  if (unmask) privacy.unmaskSelector = unmask;
  return {
    captureEnabled: remote.captureEnabled,
    sampleRate: remote.sampleRate ?? local.sampleRate,
    minSessionMs: remote.minSessionMs ?? 0,
    console: remote.console ?? true,
    network: remote.network ?? true,
    blockedUrls: remote.blockedUrls,
    privacy,
  };
}

/** Fetches the remote configuration; null when it cannot be had within `timeoutMs`. */
export async function fetchRemoteConfig(
  fetchFn: typeof fetch,
  serverUrl: string,
  apiKey: string,
  timeoutMs: number,
): Promise<RemoteSettings | null> {
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = setTimeout(() => controller?.abort(), timeoutMs);
  try {
    const url = `${serverUrl}/config?${new URLSearchParams({ api_key: apiKey, config_group: 'browser' })}`;
    const response = await fetchFn(url, { credentials: 'omit', ...(controller ? { signal: controller.signal } : {}) });
    if (!response.ok) return null;
    return parseRemoteConfig(await response.json());
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

function get(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}

/** Amplitude's selectors: a string or a list of them. */
function selectors(value: unknown): string[] {
  return typeof value === 'string' ? [value] : strings(value);
}
