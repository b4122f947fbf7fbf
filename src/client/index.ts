export {
  type ConnectInfo,
  EventSource,
  EventSourceErrorEvent,
  type EventSourceEventMap,
  type EventSourceOptions,
  type FetchLike,
  type ReusableBody,
} from './event-source.js';
