// Process log lines in rqlite's style, "[component] 2006/01/02 15:04:05 message", on stderr. Components get
// their own child logger so each line says where it comes from.
import type { RaftLogLevel } from './config.js';

export type LogLevel = RaftLogLevel;

const severity: Readonly<Record<LogLevel, number>> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(component: string): Logger;
}

export function createLogger(
  component: string,
  minimum: LogLevel = 'INFO',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const emit = (level: LogLevel, message: string): void => {
    if (severity[level] < severity[minimum]) return;
    const prefix = level === 'INFO' ? '' : `${level}: `;
    write(`[${component}] ${timestamp(new Date())} ${prefix}${message}\n`);
  };
  return {
    debug: (message) => emit('DEBUG', message),
    info: (message) => emit('INFO', message),
    warn: (message) => emit('WARN', message),
    error: (message) => emit('ERROR', message),
    child: (name) => createLogger(name, minimum, write),
  };
}

function timestamp(now: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${now.getFullYear()}/${pad(now.getMonth() + 1)}/${pad(now.getDate())} ` +
    `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`
  );
}
