/** Entry of check-quality's profile thread (ProfileFeed): profiles the decoded chunks it is handed, one partition after another. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { batchesOfIpc } from '@salesflow/batches';
import type { ProfileFeedMessage, ProfileFeedReply } from './profile-feed';
import { TableProfiler } from './table-profiler';

const port = parentPort!;
const profilers = new Map<number, TableProfiler>();
const reply = (m: ProfileFeedReply) => port.postMessage(m);

/**
 * Chunk bytes profiled between two full collections. Arrow copies each chunk's strings and null
 * bitmaps into buffers of their own, so this thread's garbage is almost all outside its heap
 * (a few MB): V8, which collects by heap growth, let 80 MB of dead buffers pile up between
 * collections. Collecting this small heap takes a few milliseconds.
 */
const COLLECT_EVERY_BYTES = 24 << 20;
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
let sinceCollect = 0;

port.on('message', (m: ProfileFeedMessage) => {
  try {
    if (m.op === 'begin') profilers.set(m.id, new TableProfiler(m.dataset, m.ds, m.schema));
    else if (m.op === 'chunk') {
      const profiler = profilers.get(m.id)!;
      // The batches are views of the shared slot, which is reused once acknowledged: the profiler keeps no view of them.
      for (const batch of batchesOfIpc(new Uint8Array(m.buffer, 0, m.length))) profiler.consume(batch);
      reply({ op: 'ack', slot: m.slot });
      sinceCollect += m.length;
      if (sinceCollect >= COLLECT_EVERY_BYTES) {
        sinceCollect = 0;
        collect();
      }
    } else {
      const profiler = profilers.get(m.id)!;
      profilers.delete(m.id);
      reply({ op: 'profile', id: m.id, profile: profiler.finish() });
    }
  } catch (e) {
    reply({ op: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
  }
});
