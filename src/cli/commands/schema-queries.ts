// `.tables`, `.indexes` and `.schema` read sqlite_master through /db/query and print the rows in the
// current mode. A pattern argument is matched with LIKE, as sqlite3 does, and bound as a parameter.
import type { DotCommand } from '../context.js';
import { runShellQuery } from '../sql-runner.js';
import { expectArguments } from './support.js';

export const tablesCommand: DotCommand = {
  name: 'tables',
  usage: '.tables [PATTERN]',
  summary: 'List the names of tables, optionally those matching a LIKE pattern',
  async run(context, args) {
    expectArguments(tablesCommand, args, 0, 1);
    const [pattern] = args;
    const base =
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
    if (pattern === undefined) await runShellQuery(context, `${base} ORDER BY name`);
    else await runShellQuery(context, `${base} AND name LIKE ? ORDER BY name`, [pattern]);
  },
};

export const indexesCommand: DotCommand = {
  name: 'indexes',
  aliases: ['indices'],
  usage: '.indexes [TABLE]',
  summary: 'List the indexes, optionally only those of tables matching a LIKE pattern',
  async run(context, args) {
    expectArguments(indexesCommand, args, 0, 1);
    const [table] = args;
    const base = 'SELECT name, tbl_name AS "table" FROM sqlite_master WHERE type = \'index\'';
    if (table === undefined) await runShellQuery(context, `${base} ORDER BY tbl_name, name`);
    else await runShellQuery(context, `${base} AND tbl_name LIKE ? ORDER BY tbl_name, name`, [table]);
  },
};

export const schemaCommand: DotCommand = {
  name: 'schema',
  usage: '.schema [TABLE]',
  summary: 'Show the CREATE statements, optionally only for tables matching a LIKE pattern',
  async run(context, args) {
    expectArguments(schemaCommand, args, 0, 1);
    const [table] = args;
    const base = 'SELECT sql FROM sqlite_master WHERE sql IS NOT NULL';
    if (table === undefined) await runShellQuery(context, `${base} ORDER BY rowid`);
    else await runShellQuery(context, `${base} AND tbl_name LIKE ? ORDER BY rowid`, [table]);
  },
};
