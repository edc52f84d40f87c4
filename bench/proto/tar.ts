/**
 * Prototype tar framing for the pipeline experiments (bench/proto only; the product's bundle code lives in
 * src/core/bundle/). A ustar header per entry, data padded to 512 bytes, two zero blocks at the end — the
 * layout SPEC §4 describes (mode 0644, uid/gid 0, empty user/group names).
 */
export const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

export function ustarHeader(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

export const END = Buffer.alloc(2 * BLOCK);

/** Parses the fields a reader needs from a header block; undefined for a zero block. */
export function parseHeader(h: Uint8Array): { name: string; size: number; type: string } | undefined {
  let zero = true;
  for (let i = 0; i < BLOCK; i++)
    if (h[i] !== 0) {
      zero = false;
      break;
    }
  if (zero) return undefined;
  let stored = 0;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  stored = Number.parseInt(
    Buffer.from(h.subarray(148, 156)).toString('ascii').replace(/\0.*$/, '').trim(),
    8,
  );
  if (stored !== sum) throw new Error('tar header checksum mismatch');
  const field = (start: number, len: number) =>
    Buffer.from(h.subarray(start, start + len))
      .toString('utf8')
      .replace(/\0.*$/s, '');
  const size = Number.parseInt(field(124, 12).trim() || '0', 8);
  return { name: field(0, 100), size, type: field(156, 1) || '0' };
}
