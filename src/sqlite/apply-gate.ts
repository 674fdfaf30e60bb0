// Shared memory through which the thread that applies commands and the read workers agree on when a read
// may start. A read must observe the database between two commands, never inside one: a command without
// `transaction` commits statement by statement, and another connection could otherwise see its first
// statements without its last. The write side makes a sequence number odd while a change (apply,
// restore) runs; a reader pins its snapshot only while the number is even, and checks afterwards that it
// did not move.
//
// In memory, readers also hold SQLite locks that would make the writer fail with "database is locked" on
// this node alone, so each worker marks the read it is doing in a slot of its own, and the write side can
// hold new reads back and wait, without blocking its thread, until the slots are clear.

const sequenceCell = 0; // odd while a change is being applied
const writerWaitingCell = 1; // 1 while the write side holds new reads back
const leavesCell = 2; // incremented whenever a read ends, to wake a waiting writer
const generationCell = 3; // the database generation (restores) readers must be on
const readsCell = 4; // how many slots are marked: kept with the slots, so the writer need not scan them
const firstSlotCell = 5; // then one cell per read slot: 1 while its worker is reading
const headerCells = firstSlotCell;

/** The most read slots a gate can have: read workers plus abandoned ones still running. */
export const readSlotsMax = 256;

// Atomics.waitAsync exists in Node 20 but not in the ES2023 library the project compiles against.
type WaitAsync = (
  cells: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class ApplyGate {
  readonly buffer: SharedArrayBuffer;
  private readonly cells: Int32Array;

  constructor(
    buffer: SharedArrayBuffer = new SharedArrayBuffer(
      (headerCells + readSlotsMax) * Int32Array.BYTES_PER_ELEMENT,
    ),
  ) {
    this.buffer = buffer;
    this.cells = new Int32Array(buffer);
  }

  // Write side (the thread that owns the write connection).

  /** Marks the start of a change to the database. Changes never nest. */
  beginChange(): void {
    const sequence = Atomics.add(this.cells, sequenceCell, 1);
    if (sequence % 2 !== 0) throw new Error('apply gate: a change began while another was in progress');
  }

  endChange(): void {
    Atomics.add(this.cells, sequenceCell, 1);
    Atomics.notify(this.cells, sequenceCell);
  }

  /** Publishes the generation readers must be on (set inside a change, by a restore). */
  setGeneration(generation: number): void {
    Atomics.store(this.cells, generationCell, generation);
  }

  /** Reads now in progress in worker threads. */
  get readsInProgress(): number {
    return Atomics.load(this.cells, readsCell);
  }

  /** Whether `slot` is marked as reading. */
  isReading(slot: number): boolean {
    return Atomics.load(this.cells, firstSlotCell + checkedSlot(slot)) !== 0;
  }

  /** Stops new reads from starting (they wait) until `releaseReaders`. */
  holdReaders(): void {
    Atomics.store(this.cells, writerWaitingCell, 1);
  }

  get holdingReaders(): boolean {
    return Atomics.load(this.cells, writerWaitingCell) !== 0;
  }

  releaseReaders(): void {
    Atomics.store(this.cells, writerWaitingCell, 0);
    Atomics.notify(this.cells, writerWaitingCell);
  }

  /** Waits, without blocking the thread, until some read ends or `timeoutMs` passes. */
  async waitForAReadToEnd(timeoutMs: number): Promise<void> {
    const leaves = Atomics.load(this.cells, leavesCell);
    const waited = waitAsync(this.cells, leavesCell, leaves, Math.max(0, timeoutMs));
    if (!waited.async) return;
    // waitAsync's own timeout does not keep the process alive, and a write waiting for reads must: a
    // timer does (the reads it waits for may be in threads that no longer do).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([waited.value, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /**
   * Clears a slot whose worker can no longer clear it: its thread has exited, or the database it was
   * reading has been replaced so that its read no longer matters to the writer.
   */
  clearSlot(slot: number): void {
    if (Atomics.exchange(this.cells, firstSlotCell + checkedSlot(slot), 0) !== 0)
      Atomics.sub(this.cells, readsCell, 1);
    Atomics.add(this.cells, leavesCell, 1);
    Atomics.notify(this.cells, leavesCell);
  }

  // Read side (in a worker).

  /**
   * Blocks until no change is in progress and no writer waits, then marks `slot` as reading and returns
   * the sequence number the read starts at; undefined if `deadlineMs` (a performance.now() time of this
   * thread) passes first.
   */
  enterRead(slot: number, deadlineMs: number): number | undefined {
    const cell = firstSlotCell + checkedSlot(slot);
    for (;;) {
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) return undefined;
      if (Atomics.load(this.cells, writerWaitingCell) !== 0) {
        Atomics.wait(this.cells, writerWaitingCell, 1, remainingMs);
        continue;
      }
      const sequence = Atomics.load(this.cells, sequenceCell);
      if (sequence % 2 !== 0) {
        Atomics.wait(this.cells, sequenceCell, sequence, remainingMs);
        continue;
      }
      if (Atomics.exchange(this.cells, cell, 1) === 0) Atomics.add(this.cells, readsCell, 1);
      // A writer that began to wait, or a change that began, meanwhile goes first.
      if (
        Atomics.load(this.cells, writerWaitingCell) === 0 &&
        Atomics.load(this.cells, sequenceCell) === sequence
      ) {
        return sequence;
      }
      this.leaveRead(slot);
    }
  }

  /** The sequence number now: a reader compares it with the one it entered at. */
  get sequence(): number {
    return Atomics.load(this.cells, sequenceCell);
  }

  get generation(): number {
    return Atomics.load(this.cells, generationCell);
  }

  leaveRead(slot: number): void {
    this.clearSlot(slot);
  }
}

function checkedSlot(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= readSlotsMax) {
    throw new Error(`apply gate: read slot ${slot} is outside 0..${readSlotsMax - 1}`);
  }
  return slot;
}
