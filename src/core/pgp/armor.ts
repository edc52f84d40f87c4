/**
 * The text level of OpenPGP data: ASCII-armored blocks found in a text, binary packet data told from text,
 * strict UTF-8 decoding, hex. No openpgp.js here; the OpenPGP modules (keys.ts, verify.ts) parse what it finds.
 */

export interface ArmorBlock {
  /** What follows "BEGIN PGP ", e.g. "SIGNATURE", "PUBLIC KEY BLOCK". */
  readonly type: string;
  /** The block from its BEGIN line to its END line, inclusive. */
  readonly text: string;
}

/** Every armored block in `text`, in order (a block without its END line runs to the end of the text). */
export function armorBlocks(text: string): ArmorBlock[] {
  const blocks: ArmorBlock[] = [];
  const begin = /^-----BEGIN PGP ([A-Z0-9 ,/]+)-----[ \t]*\r?$/gm;
  let m: RegExpExecArray | null = begin.exec(text);
  while (m !== null) {
    const type = m[1]!;
    const endLine = `-----END PGP ${type}-----`;
    const endAt = text.indexOf(endLine, begin.lastIndex);
    const stop = endAt === -1 ? text.length : endAt + endLine.length;
    blocks.push({ type, text: text.slice(m.index, stop) });
    begin.lastIndex = stop;
    m = begin.exec(text);
  }
  return blocks;
}

/** OpenPGP binary data starts with a packet header: the top bit of the first byte is set (a UTF-8 BOM is text). */
export function isBinaryPacketData(bytes: Uint8Array): boolean {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0 && !bom;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function decodeText(input: string | Uint8Array): string | undefined {
  if (typeof input === 'string') return input;
  try {
    return utf8.decode(input);
  } catch {
    return undefined;
  }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
