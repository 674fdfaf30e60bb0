// Text conversions that behave exactly as Go's standard library does, because rqlite is written in Go and
// its clients see the results of these conversions: how invalid UTF-8 becomes U+FFFD, what counts as
// white space, how a string is quoted in an error message.

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 bytes the way Go converts them to runes: every byte that does not start a valid sequence
 * becomes one U+FFFD. (The WHATWG decoder used by TextDecoder replaces a truncated sequence as a whole, so
 * the two differ on invalid input; valid input decodes identically, which is the fast path.)
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return decodeUtf8Slowly(bytes);
  }
}

function decodeUtf8Slowly(bytes: Uint8Array): string {
  const codePoints: number[] = [];
  let out = '';
  let index = 0;
  while (index < bytes.length) {
    const [codePoint, size] = decodeRune(bytes, index);
    codePoints.push(codePoint);
    index += size;
    // Flush in slices so that String.fromCodePoint never receives an argument list long enough to
    // overflow the stack.
    if (codePoints.length === 4096) {
      out += String.fromCodePoint(...codePoints);
      codePoints.length = 0;
    }
  }
  return out + String.fromCodePoint(...codePoints);
}

const replacementCharacter = 0xfffd;

/** One rune at `index`, as Go's utf8.DecodeRune: [code point, bytes consumed], U+FFFD and 1 on error. */
function decodeRune(bytes: Uint8Array, index: number): [number, number] {
  const first = bytes[index] ?? 0;
  if (first < 0x80) return [first, 1];
  const continuation = (offset: number, low = 0x80, high = 0xbf): number | undefined => {
    const byte = bytes[index + offset];
    return byte !== undefined && byte >= low && byte <= high ? byte & 0x3f : undefined;
  };
  if (first >= 0xc2 && first <= 0xdf) {
    const b1 = continuation(1);
    return b1 === undefined ? [replacementCharacter, 1] : [((first & 0x1f) << 6) | b1, 2];
  }
  if (first >= 0xe0 && first <= 0xef) {
    // Overlong forms (E0 80..9F) and UTF-16 surrogates (ED A0..BF) are invalid.
    const b1 = continuation(1, first === 0xe0 ? 0xa0 : 0x80, first === 0xed ? 0x9f : 0xbf);
    const b2 = b1 === undefined ? undefined : continuation(2);
    if (b1 === undefined || b2 === undefined) return [replacementCharacter, 1];
    return [((first & 0x0f) << 12) | (b1 << 6) | b2, 3];
  }
  if (first >= 0xf0 && first <= 0xf4) {
    // Overlong forms (F0 80..8F) and code points above U+10FFFF (F4 90..) are invalid.
    const b1 = continuation(1, first === 0xf0 ? 0x90 : 0x80, first === 0xf4 ? 0x8f : 0xbf);
    const b2 = b1 === undefined ? undefined : continuation(2);
    const b3 = b2 === undefined ? undefined : continuation(3);
    if (b1 === undefined || b2 === undefined || b3 === undefined) return [replacementCharacter, 1];
    return [((first & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3, 4];
  }
  return [replacementCharacter, 1];
}

/** Go's unicode.IsSpace, which differs from JavaScript's trim(): U+0085 is space, U+FEFF is not. */
export function isGoSpace(codePoint: number): boolean {
  switch (codePoint) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
      return true;
    default:
      return codePoint >= 0x2000 && codePoint <= 0x200a;
  }
}

/** Go's strings.TrimSpace. */
export function trimGoSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isGoSpace(text.charCodeAt(start))) start += 1;
  while (end > start && isGoSpace(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

/**
 * Go's strconv.Quote for the short strings that appear in error messages: printable characters as they
 * are, the usual backslash escapes, and \x escapes for bytes that are not valid UTF-8 (given here as
 * U+FFFD, which Go would quote as the bytes themselves; the text is only ever shown to a person).
 */
export function quoteGo(text: string): string {
  let out = '"';
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (character === '"' || character === '\\') out += `\\${character}`;
    else if (character === '\n') out += '\\n';
    else if (character === '\r') out += '\\r';
    else if (character === '\t') out += '\\t';
    else if (codePoint < 0x20 || codePoint === 0x7f) out += `\\x${codePoint.toString(16).padStart(2, '0')}`;
    else out += character;
  }
  return `${out}"`;
}
