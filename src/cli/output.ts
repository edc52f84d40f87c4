/**
 * Everything the CLI prints goes through here: results on stdout, diagnostics on stderr, colour only for a
 * TTY without NO_COLOR/--no-color, and in --json mode exactly one JSON document on stdout (SPEC §2).
 *
 * Human output never carries control characters taken from data (SPEC §2): every string that comes from a
 * bundle, a key, a registry or a file is passed through terminalSafe before it is formatted — result data by
 * `result` (the text function gets the escaped copy), errors and warnings here, and the inspect and verify
 * reports by their formatters (terminalSafeDeep on the whole report). `--json` output is not escaped this way:
 * JSON.stringify escapes control characters itself.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { type AurionError, formatIssues } from '../errors.js';

/**
 * Characters a terminal acts on instead of showing: C0 controls (also newline and tab: inside a field they could
 * forge a line), DEL, C1 controls (U+0080-U+009F; U+009B is a one-byte CSI on some terminals), the bidirectional
 * embeddings, overrides, isolates and marks that reorder what is shown (U+202A-U+202E, U+2066-U+2069, U+200E,
 * U+200F, U+061C), and the Unicode line and paragraph separators.
 */
const TERMINAL_UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same set, to test for without allocating: nearly all text has none of them. */
const HAS_TERMINAL_UNSAFE = new RegExp(TERMINAL_UNSAFE.source);

/** `text` with every terminal-unsafe character shown as an escape: ESC as `\x1b`, U+202E as `\u202e`. */
export function terminalSafe(text: string): string {
  if (!HAS_TERMINAL_UNSAFE.test(text)) return text;
  return text.replace(TERMINAL_UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * `value` with terminalSafe applied to every string in it (arrays and plain objects, any depth). What holds
 * nothing to escape is returned as it is (no copy: a batch of verify results costs a scan, not a clone).
 */
export function terminalSafeDeep<T>(value: T): T {
  if (typeof value === 'string') return terminalSafe(value) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const safe = terminalSafeDeep(value[i]);
      if (safe === value[i]) continue;
      copy ??= value.slice();
      copy[i] = safe;
    }
    return (copy ?? value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const record = value as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(record)) {
      const safe = terminalSafeDeep(record[key]);
      if (safe === record[key]) continue;
      copy ??= { ...record };
      copy[key] = safe;
    }
    return (copy ?? value) as T;
  }
  return value;
}

export interface OutputOptions {
  readonly json: boolean;
  readonly color: boolean;
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Progress {
  /** Reports `done` units of work out of the total given at creation. */
  update(done: number): void;
  /** Clears the progress line. */
  end(): void;
}

export class Output {
  readonly json: boolean;
  readonly style: ChalkInstance;
  private readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  private printed = false;
  private passthroughOpen = false;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.style = new Chalk({ level: options.color && !options.json ? 1 : 0 });
  }

  /**
   * Prints a command's successful result: `{"ok": true, ...data}` in --json mode, else the human text.
   * `text` is a function so that nothing is formatted in --json mode; it gets `data` with every string made
   * terminal-safe, and must take what it prints from there.
   */
  result<T extends Record<string, unknown>>(data: T, text: (safe: T) => string): void {
    if (this.json) this.printJson({ ok: true, ...data });
    else this.line(text(terminalSafeDeep(data)));
  }

  /** Prints one JSON document on stdout; a second one is a bug. */
  printJson(doc: unknown): void {
    if (this.printed) throw new Error('a JSON document was already printed');
    this.printed = true;
    this.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }

  /** Prints one JSON document already serialized (e.g. with numbers kept exactly); a second one is a bug. */
  printJsonText(text: string): void {
    if (this.printed) throw new Error('a JSON document was already printed');
    this.printed = true;
    this.stdout.write(`${text}\n`);
  }

  /** A line of result text on stdout (never in --json mode); data in it must already be terminalSafe. */
  line(text: string): void {
    if (!this.json) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A diagnostic on stderr (also in --json mode: stdout stays a single document); one line, escaped. */
  warn(text: string): void {
    this.stderr.write(`${this.style.yellow('warning:')} ${terminalSafe(text)}\n`);
  }

  /**
   * Bytes from elsewhere passed through to stderr as they are (a plugin's stderr, `run`). endPassthrough()
   * ends them with a newline when they did not end with one, before our own diagnostics follow.
   */
  passthrough(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.stderr.write(chunk);
    this.passthroughOpen = chunk[chunk.length - 1] !== 0x0a;
  }

  endPassthrough(): void {
    if (this.passthroughOpen) this.stderr.write('\n');
    this.passthroughOpen = false;
  }

  info(text: string): void {
    this.stderr.write(`${terminalSafe(text)}\n`);
  }

  /** Reports a failed command: JSON error document on stdout in --json mode, readable lines on stderr always. */
  error(err: AurionError, debug: boolean): void {
    if (this.json && !this.printed) this.printJson({ ok: false, error: err.toJSON() });
    // Messages quote data (manifest values, file names, registry replies): escaped, like all human output.
    const lines = [`${this.style.red('error:')} ${terminalSafe(err.message)}`];
    if (err.issues.length > 0) lines.push(formatIssues(terminalSafeDeep(err.issues)));
    if (err.hint !== undefined) lines.push(`${this.style.cyan('hint:')} ${terminalSafe(err.hint)}`);
    if (debug && err.stack !== undefined) lines.push(err.stack);
    this.stderr.write(`${lines.join('\n')}\n`);
  }

  /** Whether progress() can show anything at all (a command may then skip measuring the work). */
  get mayShowProgress(): boolean {
    return !this.json && this.stderr.isTTY === true;
  }

  /**
   * A progress line on stderr for long work (SPEC §2): only on a TTY and never in --json mode.
   * Returns undefined when no progress should be shown.
   */
  progress(label: string, total: number): Progress | undefined {
    if (!this.mayShowProgress || total < 4 * 1024 * 1024) return undefined;
    const stderr = this.stderr;
    let last = 0;
    const mib = (n: number) => (n / (1024 * 1024)).toFixed(1);
    return {
      update(done: number) {
        const now = Date.now();
        if (now - last < 100 && done < total) return;
        last = now;
        const pct = Math.min(100, Math.floor((done / total) * 100));
        stderr.write(`\r${label} ${String(pct).padStart(3)}% ${mib(done)}/${mib(total)} MiB`);
      },
      end() {
        stderr.write('\r\x1b[K');
      },
    };
  }
}
