import type { EventEnvelope } from '@canopy/contracts';
import {
  CLOSE_POLICY_VIOLATION,
  controlItem,
  MAX_QUEUED_CONTROL,
  StreamClient,
  type StreamItem,
  type StreamSink,
} from './stream-client';

/** A transport whose writes complete only when the test says so. */
class ManualSink implements StreamSink {
  readonly sent: StreamItem[] = [];
  private pending: (() => void)[] = [];
  bytes = 0;

  send(item: StreamItem, written: () => void): void {
    this.sent.push(item);
    this.bytes += item.text.length;
    this.pending.push(() => {
      this.bytes -= item.text.length;
      written();
    });
  }

  buffered(): number {
    return this.bytes;
  }

  readonly closes: [number, string][] = [];

  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }

  /** Completes every write so far (each completion may send more). */
  flush(): void {
    while (this.pending.length > 0) this.pending.shift()?.();
  }

  types(): string[] {
    return this.sent.map((i) =>
      i.type === 'dropped' ? `dropped:${JSON.parse(i.text).data.count}` : `${i.type}@${i.tick}`,
    );
  }
}

const event = (
  tick: number,
  type: EventEnvelope['type'] = 'tick_start',
  data: unknown = {},
): EventEnvelope => ({ execId: 'e', type, tick, seq: 0, at: '', data }) as EventEnvelope;
const offer = (client: StreamClient, e: EventEnvelope) => client.offer(e, JSON.stringify(e));

describe(StreamClient.name, () => {
  const make = (queue: number, bufferBytes = 1) => {
    const closed: StreamClient[] = [];
    const client = new StreamClient('e', {}, { queue, bufferBytes }, (c) => closed.push(c));
    return { client, closed };
  };

  it('holds events until the snapshot, then drops those of older ticks', () => {
    const { client } = make(10, 10_000);
    const sink = new ManualSink();
    client.attach(sink);
    offer(client, event(1));
    offer(client, event(2));
    expect(sink.sent).toEqual([]);
    client.start(controlItem('snapshot', 'e', 2, {}));
    expect(sink.types()).toEqual(['snapshot@2', 'tick_start@2']);
  });

  it('hands one message at a time to a busy transport and queues the rest', () => {
    const { client } = make(10);
    const sink = new ManualSink();
    client.start(controlItem('snapshot', 'e', 0, {}));
    client.attach(sink);
    offer(client, event(1));
    offer(client, event(2));
    expect(sink.types()).toEqual(['snapshot@0']);
    expect(client.queuedEvents).toBe(2);
    sink.flush();
    expect(sink.types()).toEqual(['snapshot@0', 'tick_start@1', 'tick_start@2']);
  });

  it('drops the oldest events when the queue is full and marks the gap once', () => {
    const { client } = make(3);
    const sink = new ManualSink();
    client.start(controlItem('snapshot', 'e', 0, {}));
    client.attach(sink);
    for (let tick = 1; tick <= 8; tick++) offer(client, event(tick));
    expect(client.queuedEvents).toBe(3);
    sink.flush();
    expect(sink.types()).toEqual([
      'snapshot@0',
      'dropped:5',
      'tick_start@6',
      'tick_start@7',
      'tick_start@8',
    ]);
    const marker = JSON.parse(sink.sent[1].text);
    expect(marker).toMatchObject({
      type: 'dropped',
      execId: 'e',
      tick: 5,
      seq: 0,
      data: { count: 5 },
    });
  });

  it('never drops control messages', () => {
    const { client } = make(2);
    const sink = new ManualSink();
    client.start(controlItem('snapshot', 'e', 0, {}));
    client.attach(sink);
    offer(client, event(1));
    client.control('subscribed', {});
    offer(client, event(2));
    offer(client, event(3));
    sink.flush();
    // The marker stands where the skipped event was: before the control message.
    expect(sink.types()).toEqual([
      'snapshot@0',
      'dropped:1',
      'subscribed@1',
      'tick_start@2',
      'tick_start@3',
    ]);
  });

  it('filters, and applies a new filter to what arrives next', () => {
    const { client } = make(10, 10_000);
    const sink = new ManualSink();
    client.start(controlItem('snapshot', 'e', 0, {}));
    client.attach(sink);
    client.setFilter({ events: ['node_update'], nodeIds: ['a'], statuses: ['RUNNING'] });
    offer(client, event(1, 'node_update', { nodeId: 'a', from: 'IDLE', to: 'RUNNING' }));
    offer(client, event(1, 'node_update', { nodeId: 'b', from: 'IDLE', to: 'RUNNING' }));
    offer(client, event(1, 'node_update', { nodeId: 'a', from: 'RUNNING', to: 'SUCCESS' }));
    offer(client, event(1, 'tick_complete', { status: 'RUNNING' }));
    client.setFilter({ statuses: ['FAILURE'] });
    offer(client, event(2, 'tick_complete', { status: 'RUNNING' }));
    offer(client, event(2, 'tick_complete', { status: 'FAILURE' }));
    offer(client, event(2, 'log', { nodeId: 'b' }));
    expect(sink.types()).toEqual(['snapshot@0', 'node_update@1', 'tick_complete@2', 'log@2']);
  });

  it('keeps separate runs of drops apart', () => {
    const { client } = make(1);
    const sink = new ManualSink();
    client.start(controlItem('snapshot', 'e', 0, {}));
    client.attach(sink);
    offer(client, event(1));
    offer(client, event(2)); // drops 1
    client.control('error', {});
    offer(client, event(3)); // drops 2, which came before the error: the same gap
    offer(client, event(4)); // drops 3, which came after it: a second gap
    sink.flush();
    expect(sink.types()).toEqual([
      'snapshot@0',
      'dropped:2',
      'error@2',
      'dropped:1',
      'tick_start@4',
    ]);
  });

  it('closes a client that keeps asking without reading', () => {
    const { client, closed } = make(10);
    const sink = new ManualSink();
    client.start(controlItem('snapshot', 'e', 0, {}));
    client.attach(sink);
    for (let i = 0; i <= MAX_QUEUED_CONTROL; i++) client.control('subscribed', {});
    expect(closed).toEqual([client]);
    expect(sink.closes).toEqual([[CLOSE_POLICY_VIOLATION, 'too many requests while not reading']]);
  });

  it('leaves the hub once on close and ignores what comes after', () => {
    const { client, closed } = make(10, 10_000);
    const sink = new ManualSink();
    client.start(controlItem('snapshot', 'e', 0, {}));
    client.attach(sink);
    client.close();
    client.close();
    offer(client, event(1));
    expect(closed).toEqual([client]);
    expect(sink.types()).toEqual(['snapshot@0']);
  });
});
