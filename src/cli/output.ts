/**
 * Everything the CLI prints goes through here: results on stdout, diagnostics on stderr, colour only for a
 * TTY without NO_COLOR/--no-color, and in --json mode exactly one JSON document on stdout (SPEC §2).
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { type AurionError, formatIssues } from '../errors.js';

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
   * `text` is a function so that nothing is formatted in --json mode.
   */
  result(data: Record<string, unknown>, text: () => string): void {
    if (this.json) this.printJson({ ok: true, ...data });
    else this.line(text());
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

  /** A line of result text on stdout (never in --json mode). */
  line(text: string): void {
    if (!this.json) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A diagnostic on stderr (also in --json mode: stdout stays a single document). */
  warn(text: string): void {
    this.stderr.write(`${this.style.yellow('warning:')} ${text}\n`);
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
    this.stderr.write(`${text}\n`);
  }

  /** Reports a failed command: JSON error document on stdout in --json mode, readable lines on stderr always. */
  error(err: AurionError, debug: boolean): void {
    if (this.json && !this.printed) this.printJson({ ok: false, error: err.toJSON() });
    const lines = [`${this.style.red('error:')} ${err.message}`];
    if (err.issues.length > 0) lines.push(formatIssues(err.issues));
    if (err.hint !== undefined) lines.push(`${this.style.cyan('hint:')} ${err.hint}`);
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
