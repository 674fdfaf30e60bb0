// A figure is one measured number with its unit, and the ratios against baselines measured in the same
// run. Each is printed as one line that starts `NAME value unit`, so that runs can be read by a script.

export interface Comparison {
  /** The figure compared against. */
  readonly baseline: string;
  /** This figure's value divided by the baseline's. */
  readonly ratio: number;
}

export interface Figure {
  /** Dotted, without spaces: `group.subject.measure`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly comparisons?: readonly Comparison[];
}

/** A name as a figure may carry it: lower case, words joined by '-', no spaces. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The ratio of two figures, or undefined when the baseline has nothing to divide by. */
export function compare(value: number, baseline: Figure | undefined): Comparison | undefined {
  if (baseline === undefined || !(baseline.value > 0) || !Number.isFinite(value)) return undefined;
  return { baseline: baseline.name, ratio: value / baseline.value };
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return 'NaN';
  if (Math.abs(value) >= 100) return String(Math.round(value));
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? ratio.toFixed(1) : ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2);
}

export function formatFigure(figure: Figure): string {
  const comparisons = (figure.comparisons ?? []).map(
    (comparison) => `${formatRatio(comparison.ratio)}x ${comparison.baseline}`,
  );
  const line = `${figure.name} ${formatValue(figure.value)} ${figure.unit}`;
  return comparisons.length === 0 ? line : `${line}  (${comparisons.join(', ')})`;
}
