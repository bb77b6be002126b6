import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  elementInputMasked,
  elementTextMasked,
  isInputMasked,
  isTextMasked,
  maskInputText,
  maskText,
  resolvePrivacy,
  type PrivacyOptions,
} from '../src/privacy';

test('text: the nearest of reel-mask / reel-unmask wins', () => {
  // depths: 0 = the element itself, -1 = no such marker among its ancestors
  const cases: Array<[name: string, maskDepth: number, unmaskDepth: number, maskAllText: boolean, masked: boolean]> = [
    ['no markers', -1, -1, false, false],
    ['inside reel-mask', 2, -1, false, true],
    ['reel-mask on the element', 0, -1, false, true],
    ['reel-unmask inside reel-mask', 3, 1, false, false],
    ['reel-mask inside reel-unmask', 1, 3, false, true],
    ['both on the same element: mask wins', 0, 0, false, true],
    ['mask-all-text, no markers', -1, -1, true, true],
    ['mask-all-text, under reel-unmask', -1, 4, true, false],
    ['mask-all-text, reel-mask inside reel-unmask', 1, 4, true, true],
  ];
  for (const [name, maskDepth, unmaskDepth, maskAllText, masked] of cases) {
    assert.equal(isTextMasked({ maskDepth, unmaskDepth }, maskAllText), masked, name);
  }
});

test('inputs: masked by default, reel-unmask opts out, passwords never do', () => {
  const cases: Array<[name: string, isPassword: boolean, maskDepth: number, unmaskDepth: number, maskAllInputs: boolean, masked: boolean]> = [
    ['plain input, default', false, -1, -1, true, true],
    ['input under reel-unmask', false, -1, 2, true, false],
    ['reel-unmask on the input', false, -1, 0, true, false],
    ['reel-mask inside reel-unmask', false, 1, 3, true, true],
    ['password', true, -1, -1, true, true],
    ['password under reel-unmask', true, -1, 0, true, true],
    ['password with maskAllInputs off', true, -1, -1, false, true],
    ['maskAllInputs off', false, -1, -1, false, false],
    ['maskAllInputs off, under reel-mask', false, 2, -1, false, true],
  ];
  for (const [name, isPassword, maskDepth, unmaskDepth, maskAllInputs, masked] of cases) {
    assert.equal(isInputMasked({ isPassword, maskDepth, unmaskDepth }, maskAllInputs), masked, name);
  }
});

test('masked text keeps whitespace; masked input values do not', () => {
  assert.equal(maskText('Jane Doe\n 42'), '**** ***\n **');
  assert.equal(maskInputText('Jane Doe'), '********');
  assert.equal(maskText(''), '');
});

/** A minimal element: tag, classes, attributes, parent; `matches` understands `.class`, `tag`, `*` lists. */
class FakeElement {
  parentElement: FakeElement | null = null;
  readonly classes: Set<string>;
  constructor(
    readonly tagName: string,
    classes: string[] = [],
    readonly attributes: Record<string, string> = {},
  ) {
    this.classes = new Set(classes);
  }
  get type(): string {
    return this.attributes.type ?? 'text';
  }
  get autocomplete(): string {
    return this.attributes.autocomplete ?? '';
  }
  child(el: FakeElement): FakeElement {
    el.parentElement = this;
    return el;
  }
  hasAttribute(name: string): boolean {
    return name in this.attributes;
  }
  matches(selector: string): boolean {
    return selector.split(',').some((part) => {
      const s = part.trim();
      if (s === '*') return true;
      if (s.startsWith('.')) return this.classes.has(s.slice(1));
      return s.toUpperCase() === this.tagName;
    });
  }
}

function dom(path: Array<[tag: string, classes?: string[], attributes?: Record<string, string>]>): Element {
  let parent: FakeElement | null = null;
  let el: FakeElement | null = null;
  for (const [tag, classes, attributes] of path) {
    el = new FakeElement(tag.toUpperCase(), classes, attributes);
    if (parent) parent.child(el);
    parent = el;
  }
  return el as unknown as Element;
}

test('element decisions read the classes from the DOM', () => {
  const privacy = (options?: PrivacyOptions) => resolvePrivacy(options, () => true);
  const textCases: Array<[name: string, element: Element, options: PrivacyOptions | undefined, masked: boolean]> = [
    ['plain paragraph', dom([['body'], ['p']]), undefined, false],
    ['under reel-mask', dom([['body', ['reel-mask']], ['div'], ['p']]), undefined, true],
    ['reel-unmask under reel-mask', dom([['body', ['reel-mask']], ['div', ['reel-unmask']], ['p']]), undefined, false],
    ['under reel-block', dom([['body'], ['div', ['reel-block']], ['p']]), undefined, true],
    ['user mask selector', dom([['body'], ['div', ['secret']], ['p']]), { maskSelector: '.secret' }, true],
    ['user unmask selector under mask-all', dom([['body'], ['div', ['public']], ['p']]), { maskAllText: true, unmaskSelector: '.public' }, false],
    ['mask-all-text', dom([['body'], ['p']]), { maskAllText: true }, true],
  ];
  for (const [name, element, options, masked] of textCases) {
    assert.equal(elementTextMasked(element, privacy(options)), masked, name);
  }

  const inputCases: Array<[name: string, element: Element, masked: boolean]> = [
    ['text input', dom([['form'], ['input', [], { type: 'text' }]]), true],
    ['text input under reel-unmask', dom([['form', ['reel-unmask']], ['input', [], { type: 'text' }]]), false],
    ['password under reel-unmask', dom([['form', ['reel-unmask']], ['input', [], { type: 'password' }]]), true],
    ['password shown as text (rrweb marker)', dom([['form', ['reel-unmask']], ['input', [], { type: 'text', 'data-rr-is-password': 'true' }]]), true],
  ];
  for (const [name, element, masked] of inputCases) {
    assert.equal(elementInputMasked(element, privacy()), masked, name);
  }
});

test('invalid user selectors are ignored rather than breaking masking', () => {
  const resolved = resolvePrivacy({ maskSelector: '!!bad', blockSelector: '.ok' }, (s) => !s.startsWith('!'));
  assert.equal(resolved.maskSelector, '.reel-mask');
  assert.equal(resolved.extraMaskSelector, undefined);
  assert.equal(resolved.blockSelector, '.reel-block, .ok');
});

test('the light level masks sensitive inputs only', () => {
  const light = resolvePrivacy({ maskAllInputs: false, maskSensitiveInputs: true }, () => true);
  const none = resolvePrivacy({ maskAllInputs: false }, () => true);
  const cases: Array<[name: string, element: Element, light: boolean, none: boolean]> = [
    ['text input', dom([['form'], ['input', [], { type: 'text' }]]), false, false],
    ['email', dom([['form'], ['input', [], { type: 'email' }]]), true, false],
    ['phone', dom([['form'], ['input', [], { type: 'tel' }]]), true, false],
    ['hidden', dom([['form'], ['input', [], { type: 'hidden' }]]), true, false],
    ['card number', dom([['form'], ['input', [], { type: 'text', autocomplete: 'cc-number' }]]), true, false],
    ['password', dom([['form'], ['input', [], { type: 'password' }]]), true, true],
    ['email under reel-unmask', dom([['form', ['reel-unmask']], ['input', [], { type: 'email' }]]), true, false],
  ];
  for (const [name, element, underLight, underNone] of cases) {
    assert.equal(elementInputMasked(element, light), underLight, `light: ${name}`);
    assert.equal(elementInputMasked(element, none), underNone, `none: ${name}`);
  }
});
