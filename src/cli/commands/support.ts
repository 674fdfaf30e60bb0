// Small pieces shared by the dot-commands.
import type { DotCommand, ShellContext } from '../context.js';
import { CommandError, HttpStatusError, ResponseFormatError } from '../errors.js';
import type { HttpMethod, QueryParams } from '../http-client.js';
import type { JsonValue } from '../json-value.js';
import { JsonSyntaxError, parseJson, stringifyJson } from '../json-value.js';

export function expectArguments(
  command: DotCommand,
  args: readonly string[],
  min: number,
  max: number,
): void {
  if (args.length < min || args.length > max) throw new CommandError(`usage: ${command.usage}`);
}

export function parseOnOff(command: DotCommand, text: string): boolean {
  const lower = text.toLowerCase();
  if (lower === 'on' || lower === 'yes' || lower === 'true' || lower === '1') return true;
  if (lower === 'off' || lower === 'no' || lower === 'false' || lower === '0') return false;
  throw new CommandError(`invalid option "${text}" (usage: ${command.usage})`);
}

export function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}

/** A `.name [on|off]` command that shows or sets one switch. */
export function toggleCommand(
  name: string,
  summary: string,
  read: (context: ShellContext) => boolean,
  write: (context: ShellContext, value: boolean) => void,
): DotCommand {
  const command: DotCommand = {
    name,
    usage: `.${name} [on|off]`,
    summary,
    run(context, args) {
      expectArguments(command, args, 0, 1);
      const [value] = args;
      if (value === undefined) context.messages.write(`${onOff(read(context))}\n`);
      else write(context, parseOnOff(command, value));
    },
  };
  return command;
}

/** Calls an endpoint that answers JSON, and returns the document. Non-200 answers are thrown. */
export async function fetchJson(
  context: ShellContext,
  method: HttpMethod,
  path: string,
  query?: QueryParams,
): Promise<JsonValue> {
  const response = await context.client.request({ method, path, query, signal: context.signal });
  const text = response.body.toString();
  if (response.status !== 200) {
    throw new HttpStatusError(method, `/${path}`, response.status, response.statusText, text);
  }
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new ResponseFormatError(`/${path} did not answer JSON (${error.message})`);
    }
    throw error;
  }
}

/** Calls an endpoint for its effect; any status outside `accepted` is thrown. */
export async function callEndpoint(
  context: ShellContext,
  method: HttpMethod,
  path: string,
  options: {
    readonly query?: QueryParams;
    readonly json?: JsonValue;
    readonly accepted?: readonly number[];
  } = {},
): Promise<{ readonly status: number; readonly body: string }> {
  const body =
    options.json === undefined
      ? undefined
      : {
          kind: 'bytes' as const,
          data: Buffer.from(stringifyJson(options.json)),
          contentType: 'application/json',
        };
  const response = await context.client.request({
    method,
    path,
    query: options.query,
    body,
    signal: context.signal,
  });
  const text = response.body.toString();
  if (!(options.accepted ?? [200]).includes(response.status)) {
    throw new HttpStatusError(method, `/${path}`, response.status, response.statusText, text);
  }
  return { status: response.status, body: text };
}
