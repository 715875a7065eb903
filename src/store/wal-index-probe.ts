/**
 * A cheap, exact "has anyone committed since?" for a SQLite file in WAL mode.
 *
 * `PRAGMA data_version` answers it, but it begins and ends a read
 * transaction: SQLite takes and drops a read lock on the `-shm` file (two
 * `fcntl` calls) and, with an empty WAL, reads the database file's size (an
 * `fstat`) — about 0.7 µs a call in a loop and 2 µs a request in `perf` under
 * load, paid by every /_access request for exactness.
 *
 * Every commit, by any connection of any process, ends by writing a new
 * WAL-index header at the start of the `-shm` file (SQLite's `wal.c`,
 * `walIndexWriteHdr`: its change counter `iChange` is incremented each time;
 * a checkpoint that restarts the WAL and a recovery write it too). A reader
 * only sees a commit once that header's first copy (bytes 0–47) holds it.
 * So: read those 48 bytes (one `pread`), then `data_version`; later, while
 * the same 48 bytes come back, nothing was committed since and the
 * `data_version` read after them is still the current one. When they differ
 * (a commit, or a torn read of a header being written) `data_version` is read
 * again. The probe can only make the check cheaper, never skip a commit.
 *
 * The `-shm` file is not replaced while this connection is open: in WAL mode
 * SQLite keeps a SHARED lock on the database file for the connection's life,
 * and the file is only deleted by a closing connection that gets an
 * EXCLUSIVE one. Without a `-shm` file (a memory database, another journal
 * mode) the probe is not used and `data_version` is read every time.
 */
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';

/** Bytes of the WAL-index header's first copy (SQLite's `WalIndexHdr`). */
const headerBytes = 48;
/** Its first field, `iVersion` (WALINDEX_MAX_VERSION): anything else is not a WAL index this code knows. */
const indexVersion = 3007000;

/** Reads a WAL-index header's first copy and tells whether it moved since the last `data_version` read. */
export class WalIndexProbe {
  private readonly current = Buffer.alloc(headerBytes);
  private readonly seen = Buffer.alloc(headerBytes);
  // The same bytes as 32-bit words (native order, as SQLite writes them): compared without a native call.
  private readonly currentWords = new Int32Array(this.current.buffer, this.current.byteOffset, headerBytes / 4);
  private readonly seenWords = new Int32Array(this.seen.buffer, this.seen.byteOffset, headerBytes / 4);
  /** The `data_version` read right after `seen`, or undefined before the first. */
  private seenVersion: number | undefined;

  private constructor(private fd: number) {}

  /**
   * A probe of `file`'s `-shm` file; undefined when there is none to read (not WAL, memory).
   * SQLite names it after the file's real path (symbolic links resolved), so does this.
   */
  static open(file: string): WalIndexProbe | undefined {
    try {
      return new WalIndexProbe(openSync(`${realpathSync(file)}-shm`, 'r'));
    } catch {
      return undefined;
    }
  }

  /**
   * The database's `data_version`: the one read last when the header has not
   * moved since, otherwise `read()`'s, read after the header (so a commit
   * landing in between moves the header again and is read next time).
   * `inTransaction`: the connection is inside a transaction (its reads see a snapshot).
   */
  dataVersion(read: () => number, inTransaction: boolean): number {
    // Inside a transaction, data_version is the snapshot's: a header that moved since would be remembered
    // with a number from before it, and the commit missed once the transaction ends. So: read, not kept.
    if (inTransaction || this.fd < 0 || this.readHeader() !== headerBytes) return read();
    const words = this.currentWords;
    // Not initialised (isInit, byte 12) or not SQLite's layout: no shortcut.
    if (words[0] !== indexVersion || this.current[12] !== 1) return this.readAfter(read);
    const version = this.seenVersion;
    if (version !== undefined && sameWords(words, this.seenWords)) return version;
    return this.readAfter(read);
  }

  /** One `pread` of the header; a file that cannot be read any more is not used again. */
  private readHeader(): number {
    try {
      return readSync(this.fd, this.current, 0, headerBytes, 0);
    } catch {
      this.close();
      return 0;
    }
  }

  /** `read()`, remembered with the header read just before it. */
  private readAfter(read: () => number): number {
    this.current.copy(this.seen);
    this.seenVersion = undefined;
    const fresh = read();
    this.seenVersion = fresh;
    return fresh;
  }

  /** Closes the file (the connection is closing). */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      closeSync(fd);
    } catch {
      // already gone: nothing to release
    }
  }
}

function sameWords(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
