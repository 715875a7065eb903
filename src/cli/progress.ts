/**
 * Progress of a long command (`baton copy`, `baton backup`): on a terminal,
 * one line redrawn in place with done/total, rate and time left; anywhere
 * else (a pipe, a log file, CI) plain lines at each tenth of the way, so a log
 * stays short and readable.
 */

/** Where progress goes: stderr, usually (stdout carries the command's report). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Progress {
  /** `done` of `total` units are through. */
  update(done: number): void;
  /** The work is complete (or stopped): ends the line. */
  finish(): void;
}

/** How often a terminal line is redrawn, at most. */
const redrawMs = 100;

/** Formats seconds as `42 s`, `3 min 5 s` or `1 h 2 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** One progress line's text. */
export function progressText(label: string, unit: string, done: number, total: number, elapsedMs: number): string {
  const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const left = rate > 0 ? formatDuration((total - done) / rate) : '?';
  return `${label}: ${done}/${total} ${unit} (${percent}%), ${Math.round(rate)} ${unit}/s, ETA ${left}`;
}

/** A progress reporter for `total` units of `label`. */
export function startProgress(
  stream: ProgressStream,
  label: string,
  unit: string,
  total: number,
  now: () => number = () => performance.now(),
): Progress {
  const started = now();
  const tty = stream.isTTY === true;
  let lastDraw = -Infinity;
  let lastTenth = 0;
  let last = 0;
  let finished = false;
  return {
    update(done) {
      last = done;
      if (tty) {
        const t = now();
        if (t - lastDraw < redrawMs && done < total) return;
        lastDraw = t;
        // Carriage return and erase-line: the line is redrawn in place.
        stream.write(`\r\x1b[2K${progressText(label, unit, done, total, t - started)}`);
        return;
      }
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (tenth > lastTenth && tenth < 10) {
        lastTenth = tenth;
        stream.write(`${progressText(label, unit, done, total, now() - started)}\n`);
      }
    },
    finish() {
      if (finished) return;
      finished = true;
      const seconds = (now() - started) / 1000;
      const line = `${label}: ${last}/${total} ${unit} in ${formatDuration(seconds)}`;
      stream.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    },
  };
}
