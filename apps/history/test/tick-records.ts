// Tick records without a runner: what history consumes, made by the embedded engine.
import { Streams, Subjects, tickMsgId, type TickRecordMessage } from '@canopy/contracts';
import { compile } from '@canopy/dsl';
import { buildTree, ManualClock, MemoryBlackboard } from '@canopy/engine';
import { type JetStreamClient, type JetStreamManager, StorageType } from '@nats-io/jetstream';
import { PATROL } from './trees';

const NANOS_PER_MS = 1_000_000;

/** CANOPY_TICKS as the runners create it (file storage, a 2-minute dedup window). */
export async function addTicksStream(jsm: JetStreamManager): Promise<void> {
  await jsm.streams.add({
    name: Streams.ticks.name,
    subjects: [...Streams.ticks.subjects],
    storage: StorageType.File,
    duplicate_window: 120_000 * NANOS_PER_MS,
  });
}

/** The records a runner would publish for `count` ticks of PATROL, ticked by the embedded engine. */
export function recordsOf(execId: string, count: number): TickRecordMessage[] {
  const { document } = compile(PATROL);
  if (!document) throw new Error('PATROL does not compile');
  const clock = new ManualClock(Date.now());
  const blackboard = new MemoryBlackboard({ exec: { count: 0 } });
  const tree = buildTree(document, { execId, blackboard, clock });
  const records: TickRecordMessage[] = [];
  for (let i = 0; i < count; i++) {
    const record = tree.tick();
    const checkpoint = tree.checkpoint();
    records.push({
      ...record,
      execId,
      tree: tree.name,
      version: 1,
      runner: 'r',
      epoch: 1,
      checkpoint,
    });
    clock.advance(10);
  }
  return records;
}

/** Publishes as a runner does, `Nats-Msg-Id: <execId>:<tick>`, and waits for the stream's acks. */
export async function publishRecords(
  js: JetStreamClient,
  records: TickRecordMessage[],
): Promise<void> {
  await Promise.all(
    records.map((r) =>
      js.publish(Subjects.ticks(r.execId), JSON.stringify(r), {
        msgID: tickMsgId(r.execId, r.tick),
      }),
    ),
  );
}
