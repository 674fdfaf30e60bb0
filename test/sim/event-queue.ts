// A priority queue of timed events. Ties in time are broken by insertion order, so a run is a pure
// function of its seed.

interface Slot<T> {
  readonly time: number;
  readonly sequence: number;
  readonly event: T;
}

export class EventQueue<T> {
  private readonly heap: Slot<T>[] = [];
  private sequence = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, event: T): void {
    const heap = this.heap;
    heap.push({ time, sequence: this.sequence++, event });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i] as Slot<T>, heap[parent] as Slot<T>)) break;
      [heap[i], heap[parent]] = [heap[parent] as Slot<T>, heap[i] as Slot<T>];
      i = parent;
    }
  }

  /** The earliest event, or undefined when empty. */
  pop(): { time: number; event: T } | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as Slot<T>;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && this.before(heap[left] as Slot<T>, heap[smallest] as Slot<T>))
          smallest = left;
        if (right < heap.length && this.before(heap[right] as Slot<T>, heap[smallest] as Slot<T>))
          smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest] as Slot<T>, heap[i] as Slot<T>];
        i = smallest;
      }
    }
    return { time: top.time, event: top.event };
  }

  private before(a: Slot<T>, b: Slot<T>): boolean {
    return a.time < b.time || (a.time === b.time && a.sequence < b.sequence);
  }
}
