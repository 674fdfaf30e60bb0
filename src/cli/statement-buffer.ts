// Collects typed or piped lines into complete SQL statements. A statement is complete at a `;` that is
// outside quotes and comments and, inside `CREATE TRIGGER ... BEGIN ... END`, only at the `;` after END
// (the body's own semicolons do not end it). This is the rule SQLite's own shell follows, so a script
// that sqlite3 accepts is split the same way here.

type Token = 'semicolon' | 'space' | 'other' | 'explain' | 'create' | 'temp' | 'trigger' | 'end';

/**
 * Where the scanner stands in the current statement. `empty` means nothing but blanks and comments so
 * far; `afterSemicolon` means a statement just ended. Inside a trigger body, `triggerSemicolon` and
 * `triggerEnd` watch for the `END ;` that closes it.
 */
type Phase =
  | 'empty'
  | 'afterSemicolon'
  | 'normal'
  | 'explain'
  | 'create'
  | 'trigger'
  | 'triggerSemicolon'
  | 'triggerEnd';

type Transitions = Readonly<Record<Token, Phase>>;

function allTo(phase: Phase, overrides: Partial<Transitions>): Transitions {
  return {
    semicolon: phase,
    space: phase,
    other: phase,
    explain: phase,
    create: phase,
    temp: phase,
    trigger: phase,
    end: phase,
    ...overrides,
  };
}

const transitions: Readonly<Record<Phase, Transitions>> = {
  empty: allTo('normal', {
    semicolon: 'afterSemicolon',
    space: 'empty',
    explain: 'explain',
    create: 'create',
  }),
  afterSemicolon: allTo('normal', {
    semicolon: 'afterSemicolon',
    space: 'afterSemicolon',
    explain: 'explain',
    create: 'create',
  }),
  normal: allTo('normal', { semicolon: 'afterSemicolon' }),
  explain: allTo('normal', {
    semicolon: 'afterSemicolon',
    space: 'explain',
    other: 'explain',
    create: 'create',
  }),
  create: allTo('normal', {
    semicolon: 'afterSemicolon',
    space: 'create',
    temp: 'create',
    trigger: 'trigger',
  }),
  trigger: allTo('trigger', { semicolon: 'triggerSemicolon' }),
  triggerSemicolon: allTo('trigger', {
    semicolon: 'triggerSemicolon',
    space: 'triggerSemicolon',
    end: 'triggerEnd',
  }),
  triggerEnd: allTo('trigger', { semicolon: 'afterSemicolon', space: 'triggerEnd' }),
};

const keywords: Readonly<Record<string, Token>> = {
  explain: 'explain',
  create: 'create',
  temp: 'temp',
  temporary: 'temp',
  trigger: 'trigger',
  end: 'end',
};

/** Open lexical context that can span lines. */
type Enclosure = 'none' | 'lineComment' | 'blockComment' | "'" | '"' | '`' | '[';

const pendingCharsMax = 256 * 1024 * 1024;

function isWordChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x5f ||
    code === 0x24 ||
    code >= 0x80
  );
}

export class StatementTooLongError extends Error {
  override readonly name = 'StatementTooLongError';
}

export class StatementBuffer {
  private text = '';
  /** Characters of `text` already scanned. */
  private scanned = 0;
  private phase: Phase = 'empty';
  private enclosure: Enclosure = 'none';

  /** Adds one line (without its newline) and returns the statements it completed, in order. */
  push(line: string): string[] {
    if (this.text.length + line.length > pendingCharsMax) {
      this.reset();
      throw new StatementTooLongError(
        `statement longer than ${pendingCharsMax / 1024 / 1024} MiB without an ending ";"; discarded`,
      );
    }
    this.text += `${line}\n`;
    const completed: string[] = [];
    let statementStart = 0;
    while (this.scanned < this.text.length) {
      const before = this.phase;
      const token = this.scanToken();
      if (token === undefined) continue;
      this.phase = transitions[this.phase][token];
      if (token === 'semicolon' && this.phase === 'afterSemicolon') {
        const statement = this.text.slice(statementStart, this.scanned).trim();
        if (before !== 'empty' && before !== 'afterSemicolon') completed.push(statement);
        statementStart = this.scanned;
      }
    }
    if (statementStart > 0) {
      this.text = this.text.slice(statementStart);
      this.scanned -= statementStart;
    }
    return completed;
  }

  /** True while an unfinished statement is waiting for more lines (the shell shows `...>`). */
  hasPending(): boolean {
    if (this.enclosure !== 'none' && this.enclosure !== 'lineComment') return true;
    return this.phase !== 'empty' && this.phase !== 'afterSemicolon';
  }

  /** Takes whatever unfinished statement is left (at end of input); undefined when there is none. */
  takeRemainder(): string | undefined {
    const pending = this.hasPending();
    const rest = this.text.trim();
    this.reset();
    return pending && rest !== '' ? rest : undefined;
  }

  reset(): void {
    this.text = '';
    this.scanned = 0;
    this.phase = 'empty';
    this.enclosure = 'none';
  }

  /** Consumes characters from `scanned`; returns the token they form, or undefined inside an enclosure. */
  private scanToken(): Token | undefined {
    const text = this.text;
    const position = this.scanned;
    const char = text[position] ?? '';
    const next = text[position + 1] ?? '';
    switch (this.enclosure) {
      case 'lineComment':
        this.scanned += 1;
        if (char === '\n') this.enclosure = 'none';
        return undefined;
      case 'blockComment':
        if (char === '*' && next === '/') {
          this.scanned += 2;
          this.enclosure = 'none';
          return 'space';
        }
        this.scanned += 1;
        return undefined;
      case "'":
      case '"':
      case '`':
        this.scanned += 1;
        if (char === this.enclosure) {
          if (next === this.enclosure) {
            this.scanned += 1; // a doubled quote stands for itself
            return undefined;
          }
          this.enclosure = 'none';
          return 'other';
        }
        return undefined;
      case '[':
        this.scanned += 1;
        if (char === ']') {
          this.enclosure = 'none';
          return 'other';
        }
        return undefined;
      case 'none':
        break;
    }

    if (char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\f') {
      this.scanned += 1;
      return 'space';
    }
    if (char === '-' && next === '-') {
      this.scanned += 2;
      this.enclosure = 'lineComment';
      return 'space';
    }
    if (char === '/' && next === '*') {
      this.scanned += 2;
      this.enclosure = 'blockComment';
      return undefined;
    }
    if (char === ';') {
      this.scanned += 1;
      return 'semicolon';
    }
    if (char === "'" || char === '"' || char === '`' || char === '[') {
      this.scanned += 1;
      this.enclosure = char;
      return undefined;
    }
    if (isWordChar(char.charCodeAt(0))) {
      let end = position + 1;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end += 1;
      this.scanned = end;
      return keywords[text.slice(position, end).toLowerCase()] ?? 'other';
    }
    this.scanned += 1;
    return 'other';
  }
}
