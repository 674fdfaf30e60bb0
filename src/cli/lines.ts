// Splits a stream of text into lines, reading only as fast as the shell consumes them, so that piping a
// large script into the shell does not load all of it into memory at once. Both `\n` and `\r\n` end a line.
import { StringDecoder } from 'node:string_decoder';

export async function* readLines(source: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of source) {
    carry += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline = carry.indexOf('\n');
    while (newline !== -1) {
      const end = newline > 0 && carry[newline - 1] === '\r' ? newline - 1 : newline;
      yield carry.slice(0, end);
      carry = carry.slice(newline + 1);
      newline = carry.indexOf('\n');
    }
  }
  carry += decoder.end();
  if (carry !== '') yield carry;
}
