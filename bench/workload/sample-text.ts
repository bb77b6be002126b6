// Deterministic sample text for the workload sites (words, sentences, names, identifiers), drawn
// with the seeded PRNG: the same seed gives the same page forever.

import type { Rng } from '../../testkit/prng.ts';

const WORDS = (
  'the of and to in is for on that with as by this are be from it at an or which can your you have not ' +
  'request response server client session cache config value option default version install build deploy ' +
  'runtime module package import export function method return error handler event stream buffer queue ' +
  'token header payload schema record field index query filter result storage segment chunk worker thread ' +
  'process memory limit timeout retry backoff metric latency throughput network socket proxy route path ' +
  'file folder archive upload download user account project team member role permission policy access ' +
  'release update change migration database table column row key primary secondary replica cluster node ' +
  'service endpoint interface type struct trait generic async await future promise callback listener ' +
  'render component layout style theme color font icon button form input select checkbox dialog modal ' +
  'order invoice payment customer product price discount shipping address country region status pending ' +
  'active archived enabled disabled quickly safely usually always never often rarely only also still then ' +
  'when where while before after during between across above below inside outside without within ' +
  'configure enable disable create delete update list read write send receive parse encode decode compress'
).split(' ');

export const FIRST_NAMES = 'Ada Alan Grace Linus Ken Barbara Dennis Margaret Edsger Donald Frances John Radia Tim Sophie Yukihiro Guido Bjarne Anders Rasmus Brendan James Niklaus Leslie Shafi Whitfield Hedy Katherine Dorothy Mary'.split(' ');
export const LAST_NAMES = 'Lovelace Turing Hopper Torvalds Thompson Liskov Ritchie Hamilton Dijkstra Knuth Allen Backus Perlman Berners-Lee Wilson Matsumoto Rossum Stroustrup Hejlsberg Lerdorf Eich Gosling Wirth Lamport Goldwasser Diffie Lamarr Johnson Vaughan Jackson'.split(' ');
export const CITIES = 'Lisbon Oslo Kyoto Austin Nairobi Lyon Porto Tallinn Ghent Bergen Quebec Cusco Hobart Tartu Utrecht Bilbao Krakow Malmo Dunedin Trieste'.split(' ');

export function word(rng: Rng): string {
  return rng.pick(WORDS);
}

export function words(rng: Rng, min: number, max: number): string {
  const n = rng.int(min, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(word(rng));
  return out.join(' ');
}

export function sentence(rng: Rng): string {
  const s = words(rng, 6, 18);
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}${rng.pick(['.', '.', '.', '.', '!', '?'])}`;
}

export function paragraph(rng: Rng, min = 2, max = 6): string {
  const n = rng.int(min, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(sentence(rng));
  return out.join(' ');
}

export function title(rng: Rng, min = 2, max = 5): string {
  return words(rng, min, max)
    .split(' ')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

export function identifier(rng: Rng, style: 'camel' | 'snake' = 'camel'): string {
  const parts = [word(rng), word(rng)].map((w) => w.replace(/[^a-z]/g, '') || 'x');
  if (style === 'snake') return parts.join('_');
  return parts[0] + (parts[1] as string).charAt(0).toUpperCase() + (parts[1] as string).slice(1);
}

export function personName(rng: Rng): string {
  return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
