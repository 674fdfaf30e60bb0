// Fixed-width little-endian integers for the on-disk formats. Indexes and terms are JavaScript numbers, so they
// are stored as 64-bit fields whose value must stay within Number.MAX_SAFE_INTEGER (2^53 - 1).

const twoTo32 = 0x1_0000_0000;
const highWordMax = 0x1f_ffff; // the high 21 bits of a safe integer

export function writeUint64(view: DataView, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`cannot store ${value}: not a non-negative safe integer`);
  }
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / twoTo32), true);
}

/** The value, or undefined when the stored number is beyond 2^53 - 1 (which only damaged bytes produce). */
export function readUint64(view: DataView, offset: number): number | undefined {
  const low = view.getUint32(offset, true);
  const high = view.getUint32(offset + 4, true);
  if (high > highWordMax) return undefined;
  return high * twoTo32 + low;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
