/**
 * One process per SQLite data directory. Two servers on one directory would both run recovery and
 * release each other's leases (two agents in one checkout), so `stint serve` holds an exclusive
 * lock on `<dataDir>/stint.lock` for as long as it runs. The lock is SQLite's own (an OS file lock
 * that the kernel drops when its process dies, however it dies), so a lock left by a crashed
 * process is simply taken over. `stint.pid` names the holder for the refusal message.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StintError } from '../../domain/errors.ts';

export interface DataDirLock {
  /** The pid named in the pid file when this process took the lock over (its holder had exited). */
  readonly previousPid: number | undefined;
  release(): void;
}

export const LOCK_FILE = 'stint.lock';
export const PID_FILE = 'stint.pid';

/** Takes the data directory's lock, or throws FAILED_PRECONDITION naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dataDir, PID_FILE);
  const previousPid = readPid(pidFile);
  const db = new Database(join(dataDir, LOCK_FILE));
  try {
    db.pragma('busy_timeout = 0');
    // Exclusive locking mode: the lock taken by the first write is kept until the connection closes.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('create table if not exists holder (pid integer not null, since text not null)');
    db.exec('delete from holder');
    db.prepare('insert into holder (pid, since) values (?, ?)').run(process.pid, new Date().toISOString());
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') {
      const holder = readPid(pidFile);
      throw new StintError(
        'FAILED_PRECONDITION',
        `The data directory ${dataDir} is in use by another Stint process ` +
          `(${holder === undefined ? 'pid unknown' : `pid ${holder}`}): stop it first, or use another --data-dir.`,
      );
    }
    throw e;
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  let released = false;
  return {
    previousPid: previousPid !== undefined && previousPid !== process.pid ? previousPid : undefined,
    release() {
      if (released) return;
      released = true;
      if (readPid(pidFile) === process.pid) rmSync(pidFile, { force: true });
      db.close();
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
