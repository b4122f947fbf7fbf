import { MemoryLog } from '../../src/log/memory.js';
import { describeLogConformance } from './conformance.js';

describeLogConformance('memory', {
  async open(retention) {
    const log = new MemoryLog(retention);
    return { log, cleanup: () => log.close() };
  },
  futureId(head) {
    const dash = head.lastIndexOf('-');
    return `${head.slice(0, dash)}-${Number(head.slice(dash + 1)) + 1000}`;
  },
});
