/**
 * Masking decisions. rrweb asks (through `maskTextFn` / `maskInputFn`) about text it would mask
 * and inputs it would mask; reel answers with the element in hand, so the nearest of
 * `reel-mask` / `reel-unmask` wins and password fields stay masked whatever the classes say.
 *
 * The decisions are pure functions of "how far up the tree is the nearest mask / unmask marker",
 * measured as a depth (0 = the element itself, -1 = none).
 */

export const MASK_CLASS = 'reel-mask';
export const UNMASK_CLASS = 'reel-unmask';
export const BLOCK_CLASS = 'reel-block';

export interface PrivacyOptions {
  /** Mask the value of every text-like input, textarea and select (default true). */
  maskAllInputs?: boolean;
  /** Mask all page text, not only text under `reel-mask` (default false). */
  maskAllText?: boolean;
  /**
   * With `maskAllInputs: false`: still mask sensitive inputs — emails, phone numbers, hidden
   * inputs, card fields (`autocomplete="cc-…"`) — as the project's "light" privacy level does.
   */
  maskSensitiveInputs?: boolean;
  /** Extra CSS selector whose elements are masked like `reel-mask`. */
  maskSelector?: string;
  /** Extra CSS selector whose elements are unmasked like `reel-unmask`. */
  unmaskSelector?: string;
  /** Extra CSS selector whose elements are blocked like `reel-block`. */
  blockSelector?: string;
}

export interface MaskMarkers {
  /** Depth of the nearest mask marker, or -1. */
  maskDepth: number;
  /** Depth of the nearest unmask marker, or -1. */
  unmaskDepth: number;
}

/**
 * A mask marker nearer than (or on the same element as) the nearest unmask marker masks;
 * "mask everything" acts as a marker above the root.
 */
function masks(markers: MaskMarkers, maskEverything: boolean): boolean {
  const maskDepth = markers.maskDepth >= 0 ? markers.maskDepth : maskEverything ? Infinity : -1;
  if (maskDepth < 0) return false;
  return markers.unmaskDepth < 0 || maskDepth <= markers.unmaskDepth;
}

export function isTextMasked(markers: MaskMarkers, maskAllText: boolean): boolean {
  return masks(markers, maskAllText);
}

export function isInputMasked(markers: MaskMarkers & { isPassword: boolean }, maskAllInputs: boolean): boolean {
  return markers.isPassword || masks(markers, maskAllInputs);
}

/** Every non-space character becomes `*` (rrweb's own text masking). */
export function maskText(text: string): string {
  return text.replace(/\S/g, '*');
}

/** Input values are masked whole, spaces included, so word lengths do not leak. */
export function maskInputText(text: string): string {
  return '*'.repeat(text.length);
}

/** DOM side: the selectors in force, validated once so a bad user selector cannot throw later. */
export interface ResolvedPrivacy {
  maskAllInputs: boolean;
  maskAllText: boolean;
  maskSensitiveInputs: boolean;
  maskSelector: string;
  unmaskSelector: string;
  blockSelector: string;
  /** User's extra selectors only, for rrweb's own `maskTextSelector` / `blockSelector`. */
  extraMaskSelector: string | undefined;
  extraBlockSelector: string | undefined;
}

export function resolvePrivacy(options: PrivacyOptions | undefined, isValidSelector: (s: string) => boolean): ResolvedPrivacy {
  const extra = (s: string | undefined): string | undefined => (s && isValidSelector(s) ? s : undefined);
  const extraMask = extra(options?.maskSelector);
  const extraUnmask = extra(options?.unmaskSelector);
  const extraBlock = extra(options?.blockSelector);
  const join = (cls: string, more: string | undefined): string => (more ? `.${cls}, ${more}` : `.${cls}`);
  return {
    maskAllInputs: options?.maskAllInputs !== false,
    maskAllText: options?.maskAllText === true,
    maskSensitiveInputs: options?.maskSensitiveInputs === true,
    maskSelector: join(MASK_CLASS, extraMask),
    unmaskSelector: join(UNMASK_CLASS, extraUnmask),
    blockSelector: join(BLOCK_CLASS, extraBlock),
    extraMaskSelector: extraMask,
    extraBlockSelector: extraBlock,
  };
}

export function depthOf(element: Element | null, selector: string): number {
  let depth = 0;
  for (let el = element; el; el = el.parentElement, depth++) {
    if (el.matches(selector)) return depth;
  }
  return -1;
}

export function markersOf(element: Element | null, privacy: ResolvedPrivacy): MaskMarkers {
  return { maskDepth: depthOf(element, privacy.maskSelector), unmaskDepth: depthOf(element, privacy.unmaskSelector) };
}

export function isPasswordInput(element: Element): boolean {
  return (
    (element.tagName === 'INPUT' && (element as HTMLInputElement).type.toLowerCase() === 'password') ||
    element.hasAttribute('data-rr-is-password')
  );
}

export function elementTextMasked(element: Element | null, privacy: ResolvedPrivacy): boolean {
  if (element && depthOf(element, privacy.blockSelector) >= 0) return true;
  return isTextMasked(markersOf(element, privacy), privacy.maskAllText);
}

/** Inputs the "light" privacy level masks: emails, phone numbers, hidden inputs, card fields. */
export function isSensitiveInput(element: Element): boolean {
  if (element.tagName !== 'INPUT') return false;
  const input = element as HTMLInputElement;
  const type = input.type.toLowerCase();
  return type === 'email' || type === 'tel' || type === 'hidden' || (input.autocomplete ?? '').toLowerCase().startsWith('cc-');
}

export function elementInputMasked(element: Element, privacy: ResolvedPrivacy): boolean {
  const alwaysMasked = isPasswordInput(element) || (privacy.maskSensitiveInputs && isSensitiveInput(element));
  return isInputMasked({ ...markersOf(element, privacy), isPassword: alwaysMasked }, privacy.maskAllInputs);
}
