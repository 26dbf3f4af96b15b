// @iot/pulsar: a pure-TypeScript Apache Pulsar client (binary protocol) and admin REST client.
export { PulsarClient, type ClientOptions } from './client.ts';
export { Producer, type ProducerOptions, type ProducerMessage } from './partitioned-producer.ts';
export {
  Consumer,
  type ConsumerOptions,
  type SubscriptionType,
  type ActiveChangeEvent,
} from './consumer.ts';
export { Reader, type ReaderOptions } from './reader.ts';
export type { Message } from './message.ts';
export { MessageId } from './message-id.ts';
export type { Logger } from './connection-handler.ts';
export {
  PulsarError,
  ConnectionError,
  TimeoutError,
  AlreadyClosedError,
  ProducerQueueFullError,
  MessageTooLargeError,
  AuthenticationError,
  TlsCertificateError,
} from './errors.ts';
export { ProtocolError } from './protocol/protobuf.ts';
export { FrameTooLargeError } from './protocol/frame.ts';
export {
  murmur3_32,
  murmur3KeyHash,
  javaStringHash,
  signSafeMod,
  partitionForKey,
} from './murmur3.ts';
export { PartitionWatch, type PartitionWatchOptions } from './partition-watch.ts';
export { fullTopicName, partitionIndexOf, partitionTopicName } from './topic-name.ts';
export { CompressionError, type CompressionName } from './compression/index.ts';
export {
  PulsarAdmin,
  AdminError,
  type AdminOptions,
  type RetentionPolicy,
  type TopicStats,
  type PartitionedTopicStats,
  type RegisteredSchema,
  type SubscriptionStats,
} from './admin.ts';
