/**
 * A child's output, line by line: children print a line when they are
 * ready, and tests wait for that line instead of sleeping.
 */
import { createInterface } from 'node:readline';

export interface LineReader {
  /** The next line; rejects if the stream ends first. */
  next(): Promise<string>;
  /** Waits for the first line that passes `test`, skipping others. */
  until(test: (line: string) => boolean): Promise<string>;
}

export function lineReader(stream: NodeJS.ReadableStream | null): LineReader {
  if (stream === null) throw new Error('lineReader: the child has no such stream (stdio is not "pipe")');
  const it = createInterface({ input: stream, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await it.next();
    if (r.done === true) throw new Error('the stream ended before the expected line');
    return r.value;
  };
  return {
    next,
    async until(test) {
      for (;;) {
        const line = await next();
        if (test(line)) return line;
      }
    },
  };
}
