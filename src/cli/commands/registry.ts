// Every dot-command, looked up by name or alias, case-insensitively.
import type { DotCommand } from '../context.js';
import { backupCommand } from './backup.js';
import { bootCommand } from './boot.js';
import { reapCommand, removeCommand, snapshotCommand, stepdownCommand } from './cluster-ops.js';
import { consistencyCommand } from './consistency.js';
import { dumpCommand } from './dump.js';
import { exitCommand } from './exit.js';
import { extensionsCommand } from './extensions.js';
import { helpCommand } from './help.js';
import { modeCommand } from './mode.js';
import { leaderCommand, nodesCommand } from './nodes.js';
import { outputCommand } from './output.js';
import { readCommand } from './read.js';
import { readyCommand } from './ready.js';
import { restoreCommand } from './restore.js';
import { indexesCommand, schemaCommand, tablesCommand } from './schema-queries.js';
import { showCommand } from './show.js';
import { expvarCommand, statusCommand } from './status.js';
import { sysdumpCommand } from './sysdump.js';
import { blobArrayCommand, changesCommand, forceWritesCommand, timerCommand } from './toggles.js';

export const dotCommands: readonly DotCommand[] = [
  backupCommand,
  blobArrayCommand,
  bootCommand,
  changesCommand,
  consistencyCommand,
  dumpCommand,
  exitCommand,
  expvarCommand,
  extensionsCommand,
  forceWritesCommand,
  helpCommand(() => dotCommands),
  indexesCommand,
  leaderCommand,
  modeCommand,
  nodesCommand,
  outputCommand,
  readCommand,
  readyCommand,
  reapCommand,
  removeCommand,
  restoreCommand,
  schemaCommand,
  showCommand,
  snapshotCommand,
  statusCommand,
  stepdownCommand,
  sysdumpCommand,
  tablesCommand,
  timerCommand,
];

const byName = new Map<string, DotCommand>();
for (const command of dotCommands) {
  for (const name of [command.name, ...(command.aliases ?? [])]) {
    if (byName.has(name)) throw new Error(`two dot-commands are named ${name}`);
    byName.set(name, command);
  }
}

export function findDotCommand(name: string): DotCommand | undefined {
  return byName.get(name.toLowerCase());
}
