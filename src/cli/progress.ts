// A one-line progress bar for long transfers (.backup, .restore, .boot, .dump). It is drawn only on a
// terminal and only once the transfer is large enough to be worth watching, so scripts and small
// databases see nothing of it.

export interface ProgressSink {
  readonly isTerminal: boolean;
  readonly columns: number | undefined;
  write(text: string): void;
}

/** Transfers smaller than this finish too fast for a bar to help. */
export const progressBytesMin = 1024 * 1024;
const redrawIntervalMs = 100;
const barWidthMax = 40;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TiB'}`;
}

export class ProgressBar {
  private lastDrawMs = 0;
  private drawn = false;
  private doneBytes = 0;
  private totalBytes: number | undefined;

  constructor(
    private readonly label: string,
    private readonly sink: ProgressSink,
    private readonly now: () => number = Date.now,
  ) {}

  update(doneBytes: number, totalBytes: number | undefined): void {
    this.doneBytes = doneBytes;
    this.totalBytes = totalBytes;
    if (!this.sink.isTerminal) return;
    const large = (totalBytes ?? doneBytes) >= progressBytesMin;
    if (!large) return;
    const nowMs = this.now();
    if (this.drawn && nowMs - this.lastDrawMs < redrawIntervalMs) return;
    this.lastDrawMs = nowMs;
    this.draw();
  }

  /** Draws the final state (if a bar was shown) and moves to a new line. */
  finish(): void {
    if (!this.drawn) return;
    this.draw();
    this.sink.write('\n');
    this.drawn = false;
  }

  /** Removes the bar without a final state, when the transfer failed. */
  abandon(): void {
    if (!this.drawn) return;
    this.sink.write('\n');
    this.drawn = false;
  }

  /** The text of the bar for the current state, without any terminal control characters. */
  text(): string {
    const total = this.totalBytes;
    if (total === undefined || total <= 0) return `${this.label} ${formatBytes(this.doneBytes)}`;
    const fraction = Math.min(1, this.doneBytes / total);
    const columns = this.sink.columns ?? 80;
    const width = Math.max(10, Math.min(barWidthMax, columns - this.label.length - 40));
    const filled = Math.round(fraction * width);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent} ${formatBytes(this.doneBytes)} / ${formatBytes(total)}`;
  }

  private draw(): void {
    // Carriage return and erase-line redraw the bar in place.
    this.sink.write(`\r\u001b[2K${this.text()}`);
    this.drawn = true;
  }
}
