// Collects a command's output up to a byte limit, counting what it drops.

export class OutputBuffer {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #total = 0;

  constructor(maxBytes: number) {
    this.#limit = Math.max(0, Math.floor(maxBytes));
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    const room = this.#limit - this.#kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.#chunks.push(part);
    this.#kept += part.length;
  }

  /** Total bytes received, kept or not. */
  get totalBytes(): number {
    return this.#total;
  }

  /** The kept output as text, with a truncation note when bytes were dropped. */
  text(): string {
    let kept = Buffer.concat(this.#chunks);
    if (this.#total <= kept.length) return kept.toString('utf8');
    kept = kept.subarray(0, utf8Boundary(kept));
    const omitted = this.#total - kept.length;
    return `${kept.toString('utf8')}\n[output truncated: ${omitted} bytes omitted]`;
  }
}

/** Length of the longest prefix of `buf` that does not end inside a UTF-8 multi-byte sequence. */
export function utf8Boundary(buf: Buffer): number {
  const end = buf.length;
  // Look back at most 3 bytes for the lead byte of the last sequence.
  for (let i = end - 1; i >= Math.max(0, end - 4); i--) {
    const byte = buf[i]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + need <= end ? end : i;
  }
  return end;
}
