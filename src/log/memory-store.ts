import { MemoryLog } from './memory.js';
import type { StoreType } from './store-type.js';

export const memoryStore: StoreType<{ kind: 'memory' }> = {
  schemes: ['memory'],
  forms: ['memory'],
  parse(url) {
    const text = url.trim();
    return text === 'memory' || text === 'memory:' ? { kind: 'memory' } : undefined;
  },
  async open(_spec, retention) {
    return new MemoryLog(retention);
  },
};
