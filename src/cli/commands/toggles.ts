// The on/off switches. Each is one line of behaviour, so they share a file.
import { toggleCommand } from './support.js';

export const blobArrayCommand = toggleCommand(
  'blobarray',
  'Show or set whether BLOBs are shown as lists of byte values',
  (context) => context.settings.blobArray,
  (context, value) => {
    context.settings.blobArray = value;
  },
);

export const changesCommand = toggleCommand(
  'changes',
  'Show or set whether the last insert ID is shown after each write',
  (context) => context.settings.changes,
  (context, value) => {
    context.settings.changes = value;
  },
);

export const forceWritesCommand = toggleCommand(
  'forcewrites',
  'Show or set whether every statement is sent to /db/execute',
  (context) => context.settings.forceWrites,
  (context, value) => {
    context.settings.forceWrites = value;
  },
);

export const timerCommand = toggleCommand(
  'timer',
  'Show or set whether each statement is timed',
  (context) => context.settings.timer,
  (context, value) => {
    context.settings.timer = value;
  },
);
