// How a SQL dump writes names and values, following the `sqlite3` shell's `.dump` so that its output
// and ours compare byte for byte where they can, and so that every value reads back exactly:
// - a name is written bare when it is a plain word (ASCII letters, digits and `_`, not starting with a
//   digit, not a keyword), and double-quoted otherwise;
// - text is single-quoted with quotes doubled; a newline or carriage return is written as an escape
//   sequence undone by replace(…, char(10)), so that every INSERT stays on one line;
// - a blob is X'…' in lower-case hex, an integer in decimal, NULL as NULL;
// - a real with an integral value within int64 is `N.0`, infinities are 1e999 and -1e999, and other
//   reals have 20 significant digits (the precision the shell uses, which its own parser reads back).
//
// Two differences from the shell, both so that no value changes on the way: reals are written with
// their exact decimal digits, where the shell's printf makes up the digits past the 17th (both read
// back as the same number), and text holding a NUL character, which the shell cuts at the NUL, is
// written whole as CAST(X'…' AS TEXT).

/** SQLite's keywords (`sqlite3_keyword_check`), which the shell quotes even when they look like names. */
const keywords = new Set(
  (
    'ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN ' +
    'BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT ' +
    'CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC ' +
    'DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER ' +
    'FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN ' +
    'INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE ' +
    'LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS ' +
    'OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP ' +
    'REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET ' +
    'TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM ' +
    'VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT'
  ).split(' '),
);

/** The name as the shell writes it after INSERT INTO: bare when it can be, double-quoted otherwise. */
export function dumpName(name: string): string {
  return needsQuotes(name) ? `"${name.replaceAll('"', '""')}"` : name;
}

/** Any name double-quoted, for SQL the dump runs itself (always quoting is always correct). */
export function quotedName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function needsQuotes(name: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return true;
  return keywords.has(name.toUpperCase());
}

/** A text value inside single quotes with quotes doubled (the shell's %q), for its own statements. */
export function quotedText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const twoToThe63 = 2 ** 63;

/** A REAL value as a SQL literal that reads back as the same number. */
export function realLiteral(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '1e999';
  if (value === Number.NEGATIVE_INFINITY) return '-1e999';
  if (Number.isNaN(value)) return 'NULL'; // SQLite stores NaN as NULL; it never comes out of a table
  if (Number.isInteger(value) && value >= -twoToThe63 && value < twoToThe63) {
    return `${BigInt(value).toString()}.0`;
  }
  // toExponential gives the exact decimal digits, correctly rounded, as `-d.dddde+x`; the layout is
  // printf's %!.20g: trailing zeros dropped, an exponent of at least two digits beyond the fixed range.
  const text = value.toExponential(19);
  const negative = value < 0;
  const first = negative ? 1 : 0;
  const exponentAt = text.indexOf('e', first);
  let digitsEnd = exponentAt;
  while (digitsEnd > first + 2 && text.charCodeAt(digitsEnd - 1) === 0x30) digitsEnd--;
  const digits = text[first]! + text.slice(first + 2, digitsEnd);
  const exponent = Number(text.slice(exponentAt + 1));
  let body: string;
  if (exponent < -4 || exponent >= 20) {
    const fraction = digits.length > 1 ? digits.slice(1) : '0';
    const sign = exponent < 0 ? '-' : '+';
    body = `${digits[0]}.${fraction}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else if (exponent < 0) {
    body = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  } else {
    const integral = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    body = `${integral}.${fraction === '' ? '0' : fraction}`;
  }
  return negative ? `-${body}` : body;
}

const hexDigits = '0123456789abcdef';

/** A BLOB value: X'…' with lower-case hex digits. */
export function blobLiteral(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += hexDigits[byte >> 4]! + hexDigits[byte & 15]!;
  return `X'${hex}'`;
}

const quote = 0x27;
const newline = 0x0a;
const carriageReturn = 0x0d;

/**
 * A TEXT value, given as its UTF-8 bytes, as a SQL expression: '…' with quotes doubled, wrapped in
 * replace() calls when it holds line breaks (the shell's output_quoted_escaped_string).
 */
export function textLiteral(text: Uint8Array): Buffer {
  const bytes = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  if (bytes.includes(0)) return Buffer.from(`CAST(${blobLiteral(bytes)} AS TEXT)`, 'latin1');
  let newlines = 0;
  let carriageReturns = 0;
  let quotes = 0;
  for (const byte of bytes) {
    if (byte === newline) newlines++;
    else if (byte === carriageReturn) carriageReturns++;
    else if (byte === quote) quotes++;
  }
  if (newlines === 0 && carriageReturns === 0) {
    if (quotes === 0) return Buffer.concat([quoteByte, bytes, quoteByte]);
    return Buffer.concat([quoteByte, doubleQuotes(bytes, quotes), quoteByte]);
  }
  const newlineMark = newlines > 0 ? unusedMark(bytes, '\\n', '\\012') : '';
  const returnMark = carriageReturns > 0 ? unusedMark(bytes, '\\r', '\\015') : '';
  const parts: Buffer[] = [];
  if (newlines > 0) parts.push(Buffer.from('replace('));
  if (carriageReturns > 0) parts.push(Buffer.from('replace('));
  parts.push(quoteByte);
  let start = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (byte !== quote && byte !== newline && byte !== carriageReturn) continue;
    parts.push(bytes.subarray(start, index));
    if (byte === quote) parts.push(Buffer.from("''"));
    else parts.push(Buffer.from(byte === newline ? newlineMark : returnMark));
    start = index + 1;
  }
  parts.push(bytes.subarray(start), quoteByte);
  if (carriageReturns > 0) parts.push(Buffer.from(`,'${returnMark}',char(13))`));
  if (newlines > 0) parts.push(Buffer.from(`,'${newlineMark}',char(10))`));
  return Buffer.concat(parts);
}

const quoteByte = Buffer.from("'");

function doubleQuotes(bytes: Buffer, quotes: number): Buffer {
  const doubled = Buffer.alloc(bytes.length + quotes);
  let position = 0;
  for (const byte of bytes) {
    doubled[position++] = byte;
    if (byte === quote) doubled[position++] = quote;
  }
  return doubled;
}

/**
 * A marker for a line-break character that does not occur in the text: the two preferred ones, then
 * `(\n0)`, `(\n1)`… as the shell makes them. The text is finite, so the search ends.
 */
function unusedMark(bytes: Buffer, preferred: string, second: string): string {
  if (!bytes.includes(preferred)) return preferred;
  if (!bytes.includes(second)) return second;
  for (let counter = 0; counter <= bytes.length; counter++) {
    const mark = `(${preferred}${counter})`;
    if (!bytes.includes(mark)) return mark;
  }
  throw new Error('dump: no unused line-break marker found, which cannot happen for a finite text');
}
