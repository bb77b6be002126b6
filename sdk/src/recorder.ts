/** rrweb recording with reel's privacy rules and the console plugin. */
import { record } from '@rrweb/record';
import { getRecordConsolePlugin } from '@rrweb/rrweb-plugin-console-record';
import { scrubConsoleEvent } from './console-privacy';
import { debug } from './env';
import {
  BLOCK_CLASS,
  MASK_CLASS,
  elementInputMasked,
  elementTextMasked,
  maskInputText,
  maskText,
  type ResolvedPrivacy,
} from './privacy';

/** The envelope every rrweb event has; reel never needs to look deeper than `type`. */
export interface RecordedEvent {
  type: number;
  data: unknown;
  timestamp: number;
}

export const EventType = { DomContentLoaded: 0, Load: 1, Plugin: 6 } as const;

/** Console levels recorded. The plugin also reports window `error` and `unhandledrejection` as level "error". */
const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/**
 * Every input type rrweb can mask, plus `hidden` (often a CSRF token), which rrweb's
 * `maskAllInputs: true` leaves in clear. Whether a given input is really masked is decided by
 * `maskInputFn`, which rrweb calls only for the types listed here.
 */
const MASKABLE_INPUTS = {
  color: true, date: true, 'datetime-local': true, email: true, month: true, number: true, range: true,
  search: true, tel: true, text: true, time: true, url: true, week: true, textarea: true, select: true,
  password: true, hidden: true,
};

export interface RecordingOptions {
  emit(event: RecordedEvent): void;
  privacy: ResolvedPrivacy;
  checkoutEveryNms: number;
  /** Record console messages (the project's setting). */
  console: boolean;
}

/** Starts rrweb; the first events emitted (synchronously, on a loaded page) are Meta and FullSnapshot. */
export function startRecording(options: RecordingOptions): (() => void) | null {
  const { privacy } = options;
  const maskTextSelector = [privacy.maskAllText ? '*' : '', privacy.extraMaskSelector ?? ''].filter(Boolean).join(', ');
  try {
    const stop = record({
      emit: (event) => options.emit(scrubConsoleEvent(event as RecordedEvent)),
      checkoutEveryNms: options.checkoutEveryNms,
      blockClass: BLOCK_CLASS,
      ...(privacy.extraBlockSelector ? { blockSelector: privacy.extraBlockSelector } : {}),
      maskTextClass: MASK_CLASS,
      ...(maskTextSelector ? { maskTextSelector } : {}),
      maskAllInputs: false,
      maskInputOptions: MASKABLE_INPUTS,
      maskInputFn: (text, element) => (safe(() => elementInputMasked(element, privacy), true) ? maskInputText(text) : text),
      maskTextFn: (text, element) => (safe(() => elementTextMasked(element, privacy), true) ? maskText(text) : text),
      plugins: options.console ? [getRecordConsolePlugin({ level: [...CONSOLE_LEVELS] })] : [],
      errorHandler: (error) => {
        debug('recorder error', error);
        return true;
      },
    });
    return stop ?? null;
  } catch (error) {
    debug('could not start recording', error);
    return null;
  }
}

/** Masking must fail closed: if the decision throws, the text is masked. */
function safe(decide: () => boolean, fallback: boolean): boolean {
  try {
    return decide();
  } catch {
    return fallback;
  }
}
