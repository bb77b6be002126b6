// Deterministic PNG thumbnails (gradient, a few discs, light noise) as data: URLs, made with
// node:zlib only. Real shops inline small previews like these (LQIP, base64 thumbnails).

import { crc32, deflateSync } from 'node:zlib';
import { Rng } from '../../../testkit/prng.ts';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export function pngDataUrl(seed: string, width: number, height: number, noise: number): string {
  const rng = new Rng(seed);
  const c1 = [rng.int(40, 230), rng.int(40, 230), rng.int(40, 230)];
  const c2 = [rng.int(40, 230), rng.int(40, 230), rng.int(40, 230)];
  const discs = Array.from({ length: rng.int(2, 5) }, () => ({
    x: rng.int(0, width),
    y: rng.int(0, height),
    r: rng.int(width / 10, width / 3),
    c: [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)],
  }));
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = 0;
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height);
      let px = [0, 1, 2].map((i) => (c1[i] as number) * (1 - t) + (c2[i] as number) * t);
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2) px = d.c.map((v, i) => (v + (px[i] as number)) / 2);
      for (const v of px) raw[o++] = Math.max(0, Math.min(255, Math.round(v + (rng.next() - 0.5) * noise)));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return `data:image/png;base64,${png.toString('base64')}`;
}
