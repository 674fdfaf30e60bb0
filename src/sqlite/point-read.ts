// Which reads are bounded enough to run on the main thread. A local read normally goes to a read worker,
// so that a long query cannot hold the event loop (and with it the heartbeats); the hand-off there and
// back costs more than a lookup by primary key itself. A read qualifies only when its cost is bounded by
// construction, whatever the data:
// - the text is one SELECT statement with no parenthesis at all (so no function call, subquery, IN list
//   or CTE; a parenthesis inside a string literal disqualifies it too, which is merely conservative), and
// - SQLite's plan for it is a single step, a search of one table by its INTEGER PRIMARY KEY with `=`: at
//   most one row is read, in logarithmic time.
// The verdict depends on the schema as well as the text (a table recreated without its INTEGER PRIMARY
// KEY changes the plan), so verdicts are dropped whenever the schema version changes.
import type { Connection } from './connection.js';
import { splitSqlUnits } from './sql-units.js';

const verdictsMax = 1024;
const textCharsMax = 4096;
const rowidSearch = /^SEARCH \S+(?: AS \S+)? USING INTEGER PRIMARY KEY \(rowid=\?\)$/;

export class PointReadClassifier {
  private readonly verdicts = new Map<string, boolean>();
  private schemaVersion: unknown = undefined;

  constructor(private readonly connection: () => Connection) {}

  /** Whether `sql` is a bounded point read (see above). Never throws: anything unclear is not one. */
  isPointRead(sql: string): boolean {
    if (sql.length > textCharsMax || sql.includes('(') || !/^\s*select\s/i.test(sql)) return false;
    const connection = this.connection();
    const version = connection.single('PRAGMA schema_version')[0];
    if (version !== this.schemaVersion) {
      this.verdicts.clear();
      this.schemaVersion = version;
    }
    const known = this.verdicts.get(sql);
    if (known !== undefined) return known;
    const verdict = planIsRowidSearch(connection, sql);
    if (this.verdicts.size >= verdictsMax) this.verdicts.clear();
    this.verdicts.set(sql, verdict);
    return verdict;
  }
}

function planIsRowidSearch(connection: Connection, sql: string): boolean {
  const units = splitSqlUnits(sql);
  const unit = units[0];
  if (units.length !== 1 || unit === undefined || !unit.hasStatement) return false;
  // Planning needs every parameter bound: NULL will do. Numbered parameters (?NNN) are left out.
  let anonymous = 0;
  const named: Record<string, null> = {};
  for (const name of unit.parameters.names) {
    if (name === null) anonymous++;
    else if (/^[:@$]/.test(name)) named[name.slice(1)] = null;
    else return false;
  }
  const values: unknown[] = new Array<null>(anonymous).fill(null);
  if (Object.keys(named).length > 0) values.push(named);
  try {
    // Planning alone does not check that the connection's copy of the schema is current (only reading a
    // table does): reading the schema table first makes SQLite reload it if another connection changed it.
    connection.raw.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
    // Prepared outside the connection's statement cache: plans are asked once per text and need no slot.
    const plan = connection.raw
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .raw(true)
      .all(...values) as unknown[][];
    if (plan.length !== 1) return false;
    const detail = plan[0]?.[3];
    return typeof detail === 'string' && rowidSearch.test(detail);
  } catch {
    // It does not compile: the normal path reports the error.
    return false;
  }
}
