import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clickProperties, pageProperties } from '../src/autocapture';
import { resolvePrivacy } from '../src/privacy';

/** Just enough of an element for autocapture: tag, classes, attributes, value, text, tree. */
class FakeElement {
  parentElement: FakeElement | null = null;
  readonly children: FakeElement[] = [];
  readonly classList: string[];
  readonly ownerDocument = { baseURI: 'https://shop.test/cart?session=abc' };
  value = '';
  private readonly ownText: string;
  constructor(
    readonly tagName: string,
    options: { classes?: string[]; attributes?: Record<string, string>; text?: string; value?: string } = {},
    ...children: FakeElement[]
  ) {
    this.classList = options.classes ?? [];
    this.attributes = options.attributes ?? {};
    this.ownText = options.text ?? '';
    this.value = options.value ?? '';
    for (const child of children) {
      child.parentElement = this;
      this.children.push(child);
    }
  }
  readonly attributes: Record<string, string>;
  get id(): string {
    return this.attributes.id ?? '';
  }
  get type(): string {
    return this.attributes.type ?? 'text';
  }
  get innerText(): string {
    return [this.ownText, ...this.children.map((c) => c.innerText)].filter(Boolean).join(' ');
  }
  get textContent(): string {
    return this.innerText;
  }
  getAttribute(name: string): string | null {
    return this.attributes[name] ?? null;
  }
  hasAttribute(name: string): boolean {
    return name in this.attributes;
  }
  matches(selector: string): boolean {
    return selector.split(',').some((part) => {
      const s = part.trim();
      if (s.startsWith('.')) return this.classList.includes(s.slice(1));
      return s.toUpperCase() === this.tagName;
    });
  }
  querySelector(selector: string): FakeElement | null {
    for (const child of this.children) {
      if (child.matches(selector)) return child;
      const found = child.querySelector(selector);
      if (found) return found;
    }
    return null;
  }
}

const el = (tag: string, options?: ConstructorParameters<typeof FakeElement>[1], ...children: FakeElement[]) =>
  new FakeElement(tag.toUpperCase(), options, ...children);
const privacy = resolvePrivacy(undefined, () => true);

function clickedText(element: FakeElement): unknown {
  el('body', {}, element);
  return clickProperties(element as unknown as Element, privacy)['[reel] Element Text'];
}

test('a clicked form field never reports what was typed into it', () => {
  const cases: Array<[name: string, element: FakeElement, text: string]> = [
    ['submit button: its value is its label', el('input', { attributes: { type: 'submit' }, value: 'Pay now' }), 'Pay now'],
    ['text input with an onclick', el('input', { attributes: { type: 'text', onclick: 'x()' }, value: 'jane@example.com' }), ''],
    ['password with role=button', el('input', { attributes: { type: 'password', role: 'button' }, value: 'hunter2' }), ''],
    ['textarea with an onclick', el('textarea', { attributes: { onclick: 'x()' }, text: 'my address' }), ''],
  ];
  for (const [name, element, text] of cases) assert.equal(clickedText(element), text, name);
});

test('masked or blocked text inside a clicked element stays masked', () => {
  const cases: Array<[name: string, element: FakeElement, text: string]> = [
    ['plain button', el('button', { text: 'Checkout' }), 'Checkout'],
    ['reel-mask inside the button', el('button', { text: 'Pay as' }, el('span', { classes: ['reel-mask'], text: 'Jane Doe' })), '*** ** **** ***'],
    ['reel-block inside the link', el('a', { text: 'Account' }, el('span', { classes: ['reel-block'], text: 'IBAN DE89' })), '******* **** ****'],
  ];
  for (const [name, element, text] of cases) assert.equal(clickedText(element), text, name);
});

test('page and link URLs go without query or fragment', () => {
  const loc = {
    href: 'https://shop.test/reset?token=s3cret#access_token=t0k',
    origin: 'https://shop.test',
    hostname: 'shop.test',
    pathname: '/reset',
  } as Location;
  assert.equal(pageProperties(loc, 'Reset')['[reel] Page URL'], 'https://shop.test/reset');

  const hrefs: Array<[href: string, expected: string | undefined]> = [
    ['/unsubscribe?token=s3cret#x', 'https://shop.test/unsubscribe'],
    ['https://other.test/a?b=c', 'https://other.test/a'],
    ['mailto:jane@example.com', undefined],
    ['javascript:void(0)', undefined],
  ];
  for (const [href, expected] of hrefs) {
    const link = el('a', { attributes: { href }, text: 'link' });
    el('body', {}, link);
    assert.equal(clickProperties(link as unknown as Element, privacy)['[reel] Element Href'], expected, href);
  }
});
