// Parses a command line the way Go's `flag` package does, so that rqlited command lines work unchanged:
// `-name value`, `-name=value`, `--name` forms; booleans as `-flag` or `-flag=true|false`; `--` ends the
// flags. Unlike Go, flags may also follow the data directory, because people write them in any order.
import { nanosecondsToMs, parseGoDurationNs } from '../http/duration.js';
import { type FlagSpec, flagSpecs } from './flag-spec.js';

/** A command line that cannot be used; the message names the flag and says what is wrong. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export type FlagValue = boolean | string | number;

export interface ParsedCommandLine {
  readonly values: ReadonlyMap<string, FlagValue>;
  /** Flags the user gave explicitly, by their canonical name. */
  readonly given: ReadonlySet<string>;
  readonly positional: readonly string[];
  readonly help: boolean;
}

const specsByName = new Map<string, FlagSpec>();
for (const spec of flagSpecs) {
  specsByName.set(spec.name, spec);
  for (const alias of spec.aliases ?? []) specsByName.set(alias, spec);
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const values = new Map<string, FlagValue>();
  for (const spec of flagSpecs) values.set(spec.name, convert(spec, spec.defaultValue, spec.name));
  const given = new Set<string>();
  const positional: string[] = [];
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const equals = body.indexOf('=');
    const name = equals === -1 ? body : body.slice(0, equals);
    if (name === '' || name.startsWith('-') || name.startsWith('=')) {
      throw new FlagError(`bad flag syntax: ${arg}`);
    }
    if (name === 'h' || name === 'help') {
      help = true;
      continue;
    }
    const spec = specsByName.get(name);
    if (spec === undefined) throw new FlagError(`flag provided but not defined: -${name} (see dustd -h)`);
    let raw: string;
    if (equals !== -1) {
      raw = body.slice(equals + 1);
    } else if (spec.kind === 'bool') {
      raw = 'true';
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: -${name}`);
      raw = next;
      i++;
    }
    values.set(spec.name, convert(spec, raw, name));
    given.add(spec.name);
  }
  return { values, given, positional, help };
}

function convert(spec: FlagSpec, raw: string, writtenName: string): FlagValue {
  const bad = (what: string): FlagError =>
    new FlagError(`invalid value "${raw}" for flag -${writtenName}: ${what}`);
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'bool': {
      if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
      if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
      throw bad('not a boolean (use true or false)');
    }
    case 'int': {
      const text = raw.replaceAll('_', '');
      if (!/^[-+]?(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|\d+)$/.test(text)) throw bad('not an integer');
      const negative = text.startsWith('-');
      const digits = text.replace(/^[-+]/, '');
      const value = Number(digits.startsWith('0') && /^0\d/.test(digits) ? parseInt(digits, 8) : digits);
      if (!Number.isSafeInteger(value)) throw bad('integer out of range');
      return negative ? -value : value;
    }
    case 'duration':
      try {
        return nanosecondsToMs(parseGoDurationNs(raw));
      } catch {
        throw bad('not a duration (examples: 500ms, 10s, 1m30s, 2h)');
      }
  }
}

/** The `-h` text: every flag with its default and help, as Go's flag package prints them. */
export function usageText(): string {
  const lines = [
    'dustd: a distributed, fault-tolerant relational database (SQLite replicated with Raft)',
    '',
    'Usage: dustd [flags] DATA_DIR',
    '',
  ];
  for (const spec of [...flagSpecs].sort((a, b) => a.name.localeCompare(b.name))) {
    const kind = spec.kind === 'bool' ? '' : ` ${spec.kind === 'int' ? 'int' : spec.kind}`;
    lines.push(`  -${spec.name}${kind}`);
    let help = `    \t${spec.help}`;
    if (spec.kind !== 'bool' || spec.defaultValue !== 'false') {
      const shown = spec.kind === 'string' ? `"${spec.defaultValue}"` : spec.defaultValue;
      if (spec.defaultValue !== '') help += ` (default ${shown})`;
    }
    if (spec.aliases !== undefined) help += ` (also -${spec.aliases.join(', -')})`;
    if (spec.notSupportedYet !== undefined) help += ` [not supported yet: ${spec.notSupportedYet}]`;
    lines.push(help);
  }
  return lines.join('\n') + '\n';
}
