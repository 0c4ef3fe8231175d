// A counting semaphore: at most `limit` holders at once, the rest wait in FIFO order.

export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private limit: number) {}

  get holders(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.drain();
  }

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.drain();
    };
  }

  private drain(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active += 1;
      this.waiting.shift()!();
    }
  }
}
