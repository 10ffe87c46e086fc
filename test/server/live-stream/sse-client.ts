/** A small Server-Sent Events reader over fetch, for tests: frames as the wire has them. */

export interface SseFrame {
  event?: string;
  id?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

export class SseClient {
  readonly frames: SseFrame[] = [];
  private buffer = '';
  private done = false;
  private readonly waiters = new Set<() => void>();
  private readonly controller = new AbortController();
  private failure: unknown = null;

  private constructor(readonly response: Response) {}

  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const controller = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    const client = new SseClient(response);
    client.controller.signal.addEventListener('abort', () => controller.abort());
    void client.pump();
    return client;
  }

  get ended(): boolean {
    return this.done;
  }

  /** Frames that are events (an `event:` or `data:` line). */
  get events(): Array<SseFrame & { event: string; id: string; data: string }> {
    return this.frames.filter((f): f is SseFrame & { event: string; id: string; data: string } => f.data !== undefined);
  }

  /** The events' parsed JSON data, for the change kinds. */
  changes<T = Record<string, unknown>>(): Array<T & { seq: number; kind: string }> {
    return this.events.filter((f) => f.event !== 'reset').map((f) => JSON.parse(f.data) as T & { seq: number; kind: string });
  }

  /** Drops the connection as a network failure would. */
  abort(): void {
    this.controller.abort();
  }

  /** Waits until `condition` holds (checked on every frame) or `deadlineMillis` passes, then throws. */
  async waitFor(condition: () => boolean, what: string, deadlineMillis = 30_000): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (condition()) finish(null);
        else if (this.done) finish(new Error(`stream ended before ${what}; frames: ${JSON.stringify(this.frames)}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(-4000)}`)),
        deadlineMillis,
      );
      const finish = (error: Error | null) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      this.waiters.add(check);
    });
  }

  private async pump(): Promise<void> {
    const body = this.response.body;
    if (!body) {
      this.finish();
      return;
    }
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          this.frames.push(parseFrame(this.buffer.slice(0, end)));
          this.buffer = this.buffer.slice(end + 2);
          for (const waiter of [...this.waiters]) waiter();
        }
      }
    } catch (error) {
      this.failure = error;
    }
    this.finish();
  }

  private finish(): void {
    this.done = true;
    for (const waiter of [...this.waiters]) waiter();
  }

  get error(): unknown {
    return this.failure;
  }
}

function parseFrame(text: string): SseFrame {
  const frame: SseFrame = { comments: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
    else if (field === 'event' || field === 'id' || field === 'retry') frame[field] = value;
  }
  return frame;
}
