/**
 * Reads a child process's stdout line by line (signal tests wait for "reloaded" and similar).
 * Not a test file itself.
 *
 * @module
 */

/** A line reader over a byte stream. */
export class Lines {
  #reader: ReadableStreamDefaultReader<string>;
  #buf = "";

  /** @param stream the child's stdout */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line without its LF, or null at the end. */
  async next(): Promise<string | null> {
    while (!this.#buf.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buf += value;
    }
    const i = this.#buf.indexOf("\n");
    const line = this.#buf.slice(0, i);
    this.#buf = this.#buf.slice(i + 1);
    return line;
  }

  /** Reads and drops the rest, until the end. */
  async rest(): Promise<void> {
    while (!(await this.#reader.read()).done) { /* drain */ }
  }
}
