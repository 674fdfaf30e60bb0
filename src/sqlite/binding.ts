// Parameter binding as rqlite's Go driver does it, translated into the strict form better-sqlite3 wants.
//
// The driver treats a statement's parameters as one list of arguments (positional values with their
// ordinal, named values with their name) consumed piece by piece across a multi-statement string: each
// piece takes as many arguments as it has parameters, plus every named argument; a piece with more
// parameters than arguments left fails with "not enough args to execute query"; extra arguments are
// ignored; a named argument binds `:name`, `@name` and `$name` alike; parameters left unbound are NULL.
// better-sqlite3 instead insists on exactly one value per parameter, so the values are laid out here
// per parameter number, using the numbering found by splitting the SQL.
import { noNamedValues, type ErrorResult, type SqlValue, type Statement } from '../command/types.js';
import type { ParameterLayout } from './sql-units.js';

/** Arguments ready for better-sqlite3: values for anonymous parameters in order, and named ones by key. */
export interface BoundArguments {
  readonly anonymous: readonly SqlValue[];
  readonly named: Readonly<Record<string, SqlValue>>;
}

/** The driver path a statement goes through: its error messages count arguments differently. */
export type DriverPath = 'exec' | 'query';

interface Argument {
  /** "" for a positional argument. */
  readonly name: string;
  readonly value: SqlValue;
}

const namePrefixes = [':', '@', '$'] as const;

/** The arguments of one statement, consumed by its pieces in order. */
export class ArgumentCursor {
  private readonly positional: readonly SqlValue[];
  private readonly named: Readonly<Record<string, SqlValue>>;
  private readonly hasNamed: boolean;
  private listed: readonly Argument[] | undefined;
  private start = 0;

  constructor(statement: Pick<Statement, 'positional' | 'named'>) {
    this.positional = statement.positional;
    this.named = statement.named;
    this.hasNamed = hasOwnKeys(statement.named);
  }

  /**
   * The arguments for the next piece, or the driver's error message when too few are left.
   */
  take(layout: ParameterLayout, path: DriverPath): BoundArguments | ErrorResult {
    // The usual case, values by position for `?` placeholders, without the general layout below; it
    // binds exactly what the general path would.
    if (!this.hasNamed && layout.positionalOnly) {
      const wanted = layout.count;
      const left = this.positional.length - this.start;
      if (left < wanted) return notEnough(wanted, path === 'exec' ? this.positional.length : left);
      const anonymous = this.positional.slice(this.start, this.start + wanted);
      this.start += wanted;
      return { anonymous, named: noNamedValues };
    }
    const all = this.arguments();
    const wanted = layout.count;
    const left = all.length - this.start;
    if (left < wanted) return notEnough(wanted, path === 'exec' ? all.length : left);
    const forPiece: Argument[] = [];
    if (wanted > 0 || path === 'query') {
      forPiece.push(...all.slice(this.start, this.start + wanted));
      // The driver compares with `wanted` rather than `start + wanted` here; copied as it is.
      all.forEach((argument, index) => {
        if ((index < this.start || index >= wanted) && argument.name !== '') forPiece.push(argument);
      });
    }
    this.start += wanted;
    return layOut(forPiece, layout);
  }

  /** Positional values first, as clients send them before any object of named values. */
  private arguments(): readonly Argument[] {
    this.listed ??= [
      ...this.positional.map((value) => ({ name: '', value })),
      ...Object.entries(this.named).map(([name, value]) => ({ name, value })),
    ];
    return this.listed;
  }
}

function notEnough(wanted: number, got: number): ErrorResult {
  return { kind: 'error', error: `not enough args to execute query: want ${wanted} got ${got}` };
}

function hasOwnKeys(record: object): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return true;
  return false;
}

function layOut(forPiece: readonly Argument[], layout: ParameterLayout): BoundArguments {
  const valueOfNumber = new Map<number, SqlValue>();
  const numberOfName = new Map<string, number>();
  layout.names.forEach((name, index) => {
    if (name !== null && !numberOfName.has(name)) numberOfName.set(name, index + 1);
  });
  forPiece.forEach((argument, index) => {
    if (argument.name === '') {
      const ordinal = index + 1;
      if (ordinal <= layout.count) valueOfNumber.set(ordinal, argument.value);
      return;
    }
    for (const prefix of namePrefixes) {
      const number = numberOfName.get(prefix + argument.name);
      if (number !== undefined) valueOfNumber.set(number, argument.value);
    }
  });
  const anonymous: SqlValue[] = [];
  const named: Record<string, SqlValue> = {};
  layout.names.forEach((name, index) => {
    const value = valueOfNumber.get(index + 1) ?? null;
    // better-sqlite3 keys named parameters by their name without its one-character prefix.
    if (name === null) anonymous.push(value);
    else named[name.slice(1)] = value;
  });
  return { anonymous, named };
}
