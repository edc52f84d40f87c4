/** Standard base64 (RFC 4648 §4) as the formats of this tool carry it: padded, no line breaks or spaces. */

/** Standard padded base64 text. Node's decoder alone skips what it does not understand, so check first. */
export const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard padded base64 only when it is canonical (re-encoding gives the same text: no stray bits in
 * the last character), so that one value has one spelling. Undefined otherwise.
 */
export function decodeStrictBase64(text: string): Uint8Array | undefined {
  if (!STANDARD_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
