// Pulsar wire messages (PulsarApi.proto, proto2) as codec tables plus their TypeScript shapes.
// Only the messages this client speaks are listed; unknown fields are skipped on decode.
// uint64/int64 fields are bigint; repeated fields decode to arrays (possibly empty).
import type { FieldSpec, MessageSpec, ScalarType } from './protobuf.ts';

type FieldType = ScalarType | (() => MessageSpec);
const req = (no: number, name: string, type: FieldType): FieldSpec => ({
  no,
  name,
  type,
  rule: 'required',
});
const opt = (no: number, name: string, type: FieldType): FieldSpec => ({
  no,
  name,
  type,
  rule: 'optional',
});
const rep = (no: number, name: string, type: FieldType): FieldSpec => ({
  no,
  name,
  type,
  rule: 'repeated',
});
const spec = (name: string, ...fields: FieldSpec[]): MessageSpec => ({ name, fields });

export enum CommandType {
  CONNECT = 2,
  CONNECTED = 3,
  SUBSCRIBE = 4,
  PRODUCER = 5,
  SEND = 6,
  SEND_RECEIPT = 7,
  SEND_ERROR = 8,
  MESSAGE = 9,
  ACK = 10,
  FLOW = 11,
  UNSUBSCRIBE = 12,
  SUCCESS = 13,
  ERROR = 14,
  CLOSE_PRODUCER = 15,
  CLOSE_CONSUMER = 16,
  PRODUCER_SUCCESS = 17,
  PING = 18,
  PONG = 19,
  REDELIVER_UNACKNOWLEDGED_MESSAGES = 20,
  PARTITIONED_METADATA = 21,
  PARTITIONED_METADATA_RESPONSE = 22,
  LOOKUP = 23,
  LOOKUP_RESPONSE = 24,
  REACHED_END_OF_TOPIC = 27,
  SEEK = 28,
  GET_LAST_MESSAGE_ID = 29,
  GET_LAST_MESSAGE_ID_RESPONSE = 30,
  ACTIVE_CONSUMER_CHANGE = 31,
  GET_TOPICS_OF_NAMESPACE = 32,
  GET_TOPICS_OF_NAMESPACE_RESPONSE = 33,
  AUTH_CHALLENGE = 36,
  AUTH_RESPONSE = 37,
  ACK_RESPONSE = 38,
  TOPIC_MIGRATED = 68,
}

export enum ServerError {
  UnknownError = 0,
  MetadataError = 1,
  PersistenceError = 2,
  AuthenticationError = 3,
  AuthorizationError = 4,
  ConsumerBusy = 5,
  ServiceNotReady = 6,
  ProducerBlockedQuotaExceededError = 7,
  ProducerBlockedQuotaExceededException = 8,
  ChecksumError = 9,
  UnsupportedVersionError = 10,
  TopicNotFound = 11,
  SubscriptionNotFound = 12,
  ConsumerNotFound = 13,
  TooManyRequests = 14,
  TopicTerminatedError = 15,
  ProducerBusy = 16,
  InvalidTopicName = 17,
  IncompatibleSchema = 18,
  ConsumerAssignError = 19,
  TransactionCoordinatorNotFound = 20,
  InvalidTxnStatus = 21,
  NotAllowedError = 22,
  TransactionConflict = 23,
  TransactionNotFound = 24,
  ProducerFenced = 25,
}

export enum CompressionType {
  NONE = 0,
  LZ4 = 1,
  ZLIB = 2,
  ZSTD = 3,
  SNAPPY = 4,
}

export enum SubType {
  Exclusive = 0,
  Shared = 1,
  Failover = 2,
  Key_Shared = 3,
}

export enum InitialPosition {
  Latest = 0,
  Earliest = 1,
}

export enum AckType {
  Individual = 0,
  Cumulative = 1,
}

export enum LookupType {
  Redirect = 0,
  Connect = 1,
  Failed = 2,
}

export enum ProducerAccessMode {
  Shared = 0,
  Exclusive = 1,
  WaitForExclusive = 2,
  ExclusiveWithFencing = 3,
}

export enum KeySharedMode {
  AUTO_SPLIT = 0,
  STICKY = 1,
}

// ---- shared messages ------------------------------------------------------------------

export interface KeyValue {
  key: string;
  value: string;
}
export const KeyValueSpec = spec('KeyValue', req(1, 'key', 'string'), req(2, 'value', 'string'));

export interface IntRange {
  start: number;
  end: number;
}
export const IntRangeSpec = spec('IntRange', req(1, 'start', 'int32'), req(2, 'end', 'int32'));

export interface MessageIdData {
  ledgerId: bigint;
  entryId: bigint;
  partition?: number;
  batch_index?: number;
  ack_set?: bigint[];
  batch_size?: number;
  first_chunk_message_id?: MessageIdData;
}
export const MessageIdDataSpec: MessageSpec = spec(
  'MessageIdData',
  req(1, 'ledgerId', 'uint64'),
  req(2, 'entryId', 'uint64'),
  opt(3, 'partition', 'int32'),
  opt(4, 'batch_index', 'int32'),
  rep(5, 'ack_set', 'int64'),
  opt(6, 'batch_size', 'int32'),
  opt(7, 'first_chunk_message_id', () => MessageIdDataSpec),
);

export interface MessageMetadata {
  producer_name: string;
  sequence_id: bigint;
  publish_time: bigint;
  properties?: KeyValue[];
  replicated_from?: string;
  partition_key?: string;
  replicate_to?: string[];
  compression?: CompressionType;
  uncompressed_size?: number;
  num_messages_in_batch?: number;
  event_time?: bigint;
  schema_version?: Buffer;
  partition_key_b64_encoded?: boolean;
  ordering_key?: Buffer;
  deliver_at_time?: bigint;
  marker_type?: number;
  txnid_least_bits?: bigint;
  txnid_most_bits?: bigint;
  highest_sequence_id?: bigint;
  null_value?: boolean;
  uuid?: string;
  num_chunks_from_msg?: number;
  total_chunk_msg_size?: number;
  chunk_id?: number;
  null_partition_key?: boolean;
}
export const MessageMetadataSpec = spec(
  'MessageMetadata',
  req(1, 'producer_name', 'string'),
  req(2, 'sequence_id', 'uint64'),
  req(3, 'publish_time', 'uint64'),
  rep(4, 'properties', () => KeyValueSpec),
  opt(5, 'replicated_from', 'string'),
  opt(6, 'partition_key', 'string'),
  rep(7, 'replicate_to', 'string'),
  opt(8, 'compression', 'enum'),
  opt(9, 'uncompressed_size', 'uint32'),
  opt(11, 'num_messages_in_batch', 'int32'),
  opt(12, 'event_time', 'uint64'),
  opt(16, 'schema_version', 'bytes'),
  opt(17, 'partition_key_b64_encoded', 'bool'),
  opt(18, 'ordering_key', 'bytes'),
  opt(19, 'deliver_at_time', 'int64'),
  opt(20, 'marker_type', 'int32'),
  opt(22, 'txnid_least_bits', 'uint64'),
  opt(23, 'txnid_most_bits', 'uint64'),
  opt(24, 'highest_sequence_id', 'uint64'),
  opt(25, 'null_value', 'bool'),
  opt(26, 'uuid', 'string'),
  opt(27, 'num_chunks_from_msg', 'int32'),
  opt(28, 'total_chunk_msg_size', 'int32'),
  opt(29, 'chunk_id', 'int32'),
  opt(30, 'null_partition_key', 'bool'),
);

export interface SingleMessageMetadata {
  properties?: KeyValue[];
  partition_key?: string;
  payload_size: number;
  compacted_out?: boolean;
  event_time?: bigint;
  partition_key_b64_encoded?: boolean;
  ordering_key?: Buffer;
  sequence_id?: bigint;
  null_value?: boolean;
  null_partition_key?: boolean;
}
export const SingleMessageMetadataSpec = spec(
  'SingleMessageMetadata',
  rep(1, 'properties', () => KeyValueSpec),
  opt(2, 'partition_key', 'string'),
  req(3, 'payload_size', 'int32'),
  opt(4, 'compacted_out', 'bool'),
  opt(5, 'event_time', 'uint64'),
  opt(6, 'partition_key_b64_encoded', 'bool'),
  opt(7, 'ordering_key', 'bytes'),
  opt(8, 'sequence_id', 'uint64'),
  opt(9, 'null_value', 'bool'),
  opt(10, 'null_partition_key', 'bool'),
);

export interface BrokerEntryMetadata {
  broker_timestamp?: bigint;
  index?: bigint;
}
export const BrokerEntryMetadataSpec = spec(
  'BrokerEntryMetadata',
  opt(1, 'broker_timestamp', 'uint64'),
  opt(2, 'index', 'uint64'),
);

// ---- commands -------------------------------------------------------------------------

export interface FeatureFlags {
  supports_auth_refresh?: boolean;
  supports_broker_entry_metadata?: boolean;
  supports_partial_producer?: boolean;
  supports_topic_watchers?: boolean;
}
const FeatureFlagsSpec = spec(
  'FeatureFlags',
  opt(1, 'supports_auth_refresh', 'bool'),
  opt(2, 'supports_broker_entry_metadata', 'bool'),
  opt(3, 'supports_partial_producer', 'bool'),
  opt(4, 'supports_topic_watchers', 'bool'),
);

export interface CommandConnect {
  client_version: string;
  auth_method_name?: string;
  auth_data?: Buffer;
  protocol_version?: number;
  proxy_to_broker_url?: string;
  feature_flags?: FeatureFlags;
}
const CommandConnectSpec = spec(
  'CommandConnect',
  req(1, 'client_version', 'string'),
  opt(3, 'auth_data', 'bytes'),
  opt(4, 'protocol_version', 'int32'),
  opt(5, 'auth_method_name', 'string'),
  opt(6, 'proxy_to_broker_url', 'string'),
  opt(10, 'feature_flags', () => FeatureFlagsSpec),
);

export interface CommandConnected {
  server_version: string;
  protocol_version?: number;
  max_message_size?: number;
  feature_flags?: FeatureFlags;
}
const CommandConnectedSpec = spec(
  'CommandConnected',
  req(1, 'server_version', 'string'),
  opt(2, 'protocol_version', 'int32'),
  opt(3, 'max_message_size', 'int32'),
  opt(4, 'feature_flags', () => FeatureFlagsSpec),
);

export interface AuthData {
  auth_method_name?: string;
  auth_data?: Buffer;
}
const AuthDataSpec = spec(
  'AuthData',
  opt(1, 'auth_method_name', 'string'),
  opt(2, 'auth_data', 'bytes'),
);

export interface CommandAuthChallenge {
  server_version?: string;
  challenge?: AuthData;
  protocol_version?: number;
}
const CommandAuthChallengeSpec = spec(
  'CommandAuthChallenge',
  opt(1, 'server_version', 'string'),
  opt(2, 'challenge', () => AuthDataSpec),
  opt(3, 'protocol_version', 'int32'),
);

export interface CommandAuthResponse {
  client_version?: string;
  response?: AuthData;
  protocol_version?: number;
}
const CommandAuthResponseSpec = spec(
  'CommandAuthResponse',
  opt(1, 'client_version', 'string'),
  opt(2, 'response', () => AuthDataSpec),
  opt(3, 'protocol_version', 'int32'),
);

export interface KeySharedMeta {
  keySharedMode: KeySharedMode;
  hashRanges?: IntRange[];
  allowOutOfOrderDelivery?: boolean;
}
const KeySharedMetaSpec = spec(
  'KeySharedMeta',
  req(1, 'keySharedMode', 'enum'),
  rep(3, 'hashRanges', () => IntRangeSpec),
  opt(4, 'allowOutOfOrderDelivery', 'bool'),
);

export interface CommandSubscribe {
  topic: string;
  subscription: string;
  subType: SubType;
  consumer_id: bigint;
  request_id: bigint;
  consumer_name?: string;
  priority_level?: number;
  durable?: boolean;
  start_message_id?: MessageIdData;
  metadata?: KeyValue[];
  read_compacted?: boolean;
  initialPosition?: InitialPosition;
  replicate_subscription_state?: boolean;
  force_topic_creation?: boolean;
  start_message_rollback_duration_sec?: bigint;
  keySharedMeta?: KeySharedMeta;
  subscription_properties?: KeyValue[];
  consumer_epoch?: bigint;
}
const CommandSubscribeSpec = spec(
  'CommandSubscribe',
  req(1, 'topic', 'string'),
  req(2, 'subscription', 'string'),
  req(3, 'subType', 'enum'),
  req(4, 'consumer_id', 'uint64'),
  req(5, 'request_id', 'uint64'),
  opt(6, 'consumer_name', 'string'),
  opt(7, 'priority_level', 'int32'),
  opt(8, 'durable', 'bool'),
  opt(9, 'start_message_id', () => MessageIdDataSpec),
  rep(10, 'metadata', () => KeyValueSpec),
  opt(11, 'read_compacted', 'bool'),
  opt(13, 'initialPosition', 'enum'),
  opt(14, 'replicate_subscription_state', 'bool'),
  opt(15, 'force_topic_creation', 'bool'),
  opt(16, 'start_message_rollback_duration_sec', 'uint64'),
  opt(17, 'keySharedMeta', () => KeySharedMetaSpec),
  rep(18, 'subscription_properties', () => KeyValueSpec),
  opt(19, 'consumer_epoch', 'uint64'),
);

export interface CommandPartitionedTopicMetadata {
  topic: string;
  request_id: bigint;
}
const CommandPartitionedTopicMetadataSpec = spec(
  'CommandPartitionedTopicMetadata',
  req(1, 'topic', 'string'),
  req(2, 'request_id', 'uint64'),
);

export interface CommandPartitionedTopicMetadataResponse {
  partitions?: number;
  request_id: bigint;
  response?: number; // 0 Success, 1 Failed
  error?: ServerError;
  message?: string;
}
const CommandPartitionedTopicMetadataResponseSpec = spec(
  'CommandPartitionedTopicMetadataResponse',
  opt(1, 'partitions', 'uint32'),
  req(2, 'request_id', 'uint64'),
  opt(3, 'response', 'enum'),
  opt(4, 'error', 'enum'),
  opt(5, 'message', 'string'),
);

export interface CommandLookupTopic {
  topic: string;
  request_id: bigint;
  authoritative?: boolean;
  advertised_listener_name?: string;
}
const CommandLookupTopicSpec = spec(
  'CommandLookupTopic',
  req(1, 'topic', 'string'),
  req(2, 'request_id', 'uint64'),
  opt(3, 'authoritative', 'bool'),
  opt(7, 'advertised_listener_name', 'string'),
);

export interface CommandLookupTopicResponse {
  brokerServiceUrl?: string;
  brokerServiceUrlTls?: string;
  response?: LookupType;
  request_id: bigint;
  authoritative?: boolean;
  error?: ServerError;
  message?: string;
  proxy_through_service_url?: boolean;
}
const CommandLookupTopicResponseSpec = spec(
  'CommandLookupTopicResponse',
  opt(1, 'brokerServiceUrl', 'string'),
  opt(2, 'brokerServiceUrlTls', 'string'),
  opt(3, 'response', 'enum'),
  req(4, 'request_id', 'uint64'),
  opt(5, 'authoritative', 'bool'),
  opt(6, 'error', 'enum'),
  opt(7, 'message', 'string'),
  opt(8, 'proxy_through_service_url', 'bool'),
);

export interface CommandProducer {
  topic: string;
  producer_id: bigint;
  request_id: bigint;
  producer_name?: string;
  encrypted?: boolean;
  metadata?: KeyValue[];
  epoch?: bigint;
  user_provided_producer_name?: boolean;
  producer_access_mode?: ProducerAccessMode;
  topic_epoch?: bigint;
  txn_enabled?: boolean;
  initial_subscription_name?: string;
}
const CommandProducerSpec = spec(
  'CommandProducer',
  req(1, 'topic', 'string'),
  req(2, 'producer_id', 'uint64'),
  req(3, 'request_id', 'uint64'),
  opt(4, 'producer_name', 'string'),
  opt(5, 'encrypted', 'bool'),
  rep(6, 'metadata', () => KeyValueSpec),
  opt(8, 'epoch', 'uint64'),
  opt(9, 'user_provided_producer_name', 'bool'),
  opt(10, 'producer_access_mode', 'enum'),
  opt(11, 'topic_epoch', 'uint64'),
  opt(12, 'txn_enabled', 'bool'),
  opt(13, 'initial_subscription_name', 'string'),
);

export interface CommandSend {
  producer_id: bigint;
  sequence_id: bigint;
  num_messages?: number;
  txnid_least_bits?: bigint;
  txnid_most_bits?: bigint;
  highest_sequence_id?: bigint;
  is_chunk?: boolean;
  marker?: boolean;
  message_id?: MessageIdData;
}
const CommandSendSpec = spec(
  'CommandSend',
  req(1, 'producer_id', 'uint64'),
  req(2, 'sequence_id', 'uint64'),
  opt(3, 'num_messages', 'int32'),
  opt(4, 'txnid_least_bits', 'uint64'),
  opt(5, 'txnid_most_bits', 'uint64'),
  opt(6, 'highest_sequence_id', 'uint64'),
  opt(7, 'is_chunk', 'bool'),
  opt(8, 'marker', 'bool'),
  opt(9, 'message_id', () => MessageIdDataSpec),
);

export interface CommandSendReceipt {
  producer_id: bigint;
  sequence_id: bigint;
  message_id?: MessageIdData;
  highest_sequence_id?: bigint;
}
const CommandSendReceiptSpec = spec(
  'CommandSendReceipt',
  req(1, 'producer_id', 'uint64'),
  req(2, 'sequence_id', 'uint64'),
  opt(3, 'message_id', () => MessageIdDataSpec),
  opt(4, 'highest_sequence_id', 'uint64'),
);

export interface CommandSendError {
  producer_id: bigint;
  sequence_id: bigint;
  error: ServerError;
  message: string;
}
const CommandSendErrorSpec = spec(
  'CommandSendError',
  req(1, 'producer_id', 'uint64'),
  req(2, 'sequence_id', 'uint64'),
  req(3, 'error', 'enum'),
  req(4, 'message', 'string'),
);

export interface CommandMessage {
  consumer_id: bigint;
  message_id: MessageIdData;
  redelivery_count?: number;
  ack_set?: bigint[];
  consumer_epoch?: bigint;
}
const CommandMessageSpec = spec(
  'CommandMessage',
  req(1, 'consumer_id', 'uint64'),
  req(2, 'message_id', () => MessageIdDataSpec),
  opt(3, 'redelivery_count', 'uint32'),
  rep(4, 'ack_set', 'int64'),
  opt(5, 'consumer_epoch', 'uint64'),
);

export interface CommandAck {
  consumer_id: bigint;
  ack_type: AckType;
  message_id: MessageIdData[];
  validation_error?: number;
  txnid_least_bits?: bigint;
  txnid_most_bits?: bigint;
  request_id?: bigint;
}
const CommandAckSpec = spec(
  'CommandAck',
  req(1, 'consumer_id', 'uint64'),
  req(2, 'ack_type', 'enum'),
  rep(3, 'message_id', () => MessageIdDataSpec),
  opt(4, 'validation_error', 'enum'),
  opt(6, 'txnid_least_bits', 'uint64'),
  opt(7, 'txnid_most_bits', 'uint64'),
  opt(8, 'request_id', 'uint64'),
);

export interface CommandAckResponse {
  consumer_id: bigint;
  error?: ServerError;
  message?: string;
  request_id?: bigint;
}
const CommandAckResponseSpec = spec(
  'CommandAckResponse',
  req(1, 'consumer_id', 'uint64'),
  opt(4, 'error', 'enum'),
  opt(5, 'message', 'string'),
  opt(6, 'request_id', 'uint64'),
);

export interface CommandActiveConsumerChange {
  consumer_id: bigint;
  is_active?: boolean;
}
const CommandActiveConsumerChangeSpec = spec(
  'CommandActiveConsumerChange',
  req(1, 'consumer_id', 'uint64'),
  opt(2, 'is_active', 'bool'),
);

export interface CommandFlow {
  consumer_id: bigint;
  messagePermits: number;
}
const CommandFlowSpec = spec(
  'CommandFlow',
  req(1, 'consumer_id', 'uint64'),
  req(2, 'messagePermits', 'uint32'),
);

export interface CommandUnsubscribe {
  consumer_id: bigint;
  request_id: bigint;
  force?: boolean;
}
const CommandUnsubscribeSpec = spec(
  'CommandUnsubscribe',
  req(1, 'consumer_id', 'uint64'),
  req(2, 'request_id', 'uint64'),
  opt(3, 'force', 'bool'),
);

export interface CommandSeek {
  consumer_id: bigint;
  request_id: bigint;
  message_id?: MessageIdData;
  message_publish_time?: bigint;
}
const CommandSeekSpec = spec(
  'CommandSeek',
  req(1, 'consumer_id', 'uint64'),
  req(2, 'request_id', 'uint64'),
  opt(3, 'message_id', () => MessageIdDataSpec),
  opt(4, 'message_publish_time', 'uint64'),
);

export interface CommandReachedEndOfTopic {
  consumer_id: bigint;
}
const CommandReachedEndOfTopicSpec = spec(
  'CommandReachedEndOfTopic',
  req(1, 'consumer_id', 'uint64'),
);

export interface CommandTopicMigrated {
  resource_id: bigint;
  resource_type: number; // 0 producer, 1 consumer
  brokerServiceUrl?: string;
  brokerServiceUrlTls?: string;
}
const CommandTopicMigratedSpec = spec(
  'CommandTopicMigrated',
  req(1, 'resource_id', 'uint64'),
  req(2, 'resource_type', 'enum'),
  opt(3, 'brokerServiceUrl', 'string'),
  opt(4, 'brokerServiceUrlTls', 'string'),
);

export interface CommandCloseProducer {
  producer_id: bigint;
  request_id: bigint;
  assignedBrokerServiceUrl?: string;
  assignedBrokerServiceUrlTls?: string;
}
const CommandCloseProducerSpec = spec(
  'CommandCloseProducer',
  req(1, 'producer_id', 'uint64'),
  req(2, 'request_id', 'uint64'),
  opt(3, 'assignedBrokerServiceUrl', 'string'),
  opt(4, 'assignedBrokerServiceUrlTls', 'string'),
);

export interface CommandCloseConsumer {
  consumer_id: bigint;
  request_id: bigint;
  assignedBrokerServiceUrl?: string;
  assignedBrokerServiceUrlTls?: string;
}
const CommandCloseConsumerSpec = spec(
  'CommandCloseConsumer',
  req(1, 'consumer_id', 'uint64'),
  req(2, 'request_id', 'uint64'),
  opt(3, 'assignedBrokerServiceUrl', 'string'),
  opt(4, 'assignedBrokerServiceUrlTls', 'string'),
);

export interface CommandRedeliverUnacknowledgedMessages {
  consumer_id: bigint;
  message_ids?: MessageIdData[];
  consumer_epoch?: bigint;
}
const CommandRedeliverUnacknowledgedMessagesSpec = spec(
  'CommandRedeliverUnacknowledgedMessages',
  req(1, 'consumer_id', 'uint64'),
  rep(2, 'message_ids', () => MessageIdDataSpec),
  opt(3, 'consumer_epoch', 'uint64'),
);

export interface CommandSuccess {
  request_id: bigint;
}
const CommandSuccessSpec = spec('CommandSuccess', req(1, 'request_id', 'uint64'));

export interface CommandProducerSuccess {
  request_id: bigint;
  producer_name: string;
  last_sequence_id?: bigint;
  schema_version?: Buffer;
  topic_epoch?: bigint;
  producer_ready?: boolean;
}
const CommandProducerSuccessSpec = spec(
  'CommandProducerSuccess',
  req(1, 'request_id', 'uint64'),
  req(2, 'producer_name', 'string'),
  opt(3, 'last_sequence_id', 'int64'),
  opt(4, 'schema_version', 'bytes'),
  opt(5, 'topic_epoch', 'uint64'),
  opt(6, 'producer_ready', 'bool'),
);

export interface CommandError {
  request_id: bigint;
  error: ServerError;
  message: string;
}
const CommandErrorSpec = spec(
  'CommandError',
  req(1, 'request_id', 'uint64'),
  req(2, 'error', 'enum'),
  req(3, 'message', 'string'),
);

export type CommandPing = Record<string, never>;
const CommandPingSpec = spec('CommandPing');
export type CommandPong = Record<string, never>;
const CommandPongSpec = spec('CommandPong');

export interface CommandGetLastMessageId {
  consumer_id: bigint;
  request_id: bigint;
}
const CommandGetLastMessageIdSpec = spec(
  'CommandGetLastMessageId',
  req(1, 'consumer_id', 'uint64'),
  req(2, 'request_id', 'uint64'),
);

export interface CommandGetLastMessageIdResponse {
  last_message_id: MessageIdData;
  request_id: bigint;
  consumer_mark_delete_position?: MessageIdData;
}
const CommandGetLastMessageIdResponseSpec = spec(
  'CommandGetLastMessageIdResponse',
  req(1, 'last_message_id', () => MessageIdDataSpec),
  req(2, 'request_id', 'uint64'),
  opt(3, 'consumer_mark_delete_position', () => MessageIdDataSpec),
);

export interface CommandGetTopicsOfNamespace {
  request_id: bigint;
  namespace: string;
  mode?: number; // 0 persistent, 1 non-persistent, 2 all
}
const CommandGetTopicsOfNamespaceSpec = spec(
  'CommandGetTopicsOfNamespace',
  req(1, 'request_id', 'uint64'),
  req(2, 'namespace', 'string'),
  opt(3, 'mode', 'enum'),
);

export interface CommandGetTopicsOfNamespaceResponse {
  request_id: bigint;
  topics: string[];
}
const CommandGetTopicsOfNamespaceResponseSpec = spec(
  'CommandGetTopicsOfNamespaceResponse',
  req(1, 'request_id', 'uint64'),
  rep(2, 'topics', 'string'),
);

/** One field per command type; exactly one is set, matching `type`. */
export interface BaseCommand {
  type: CommandType;
  connect?: CommandConnect;
  connected?: CommandConnected;
  subscribe?: CommandSubscribe;
  producer?: CommandProducer;
  send?: CommandSend;
  send_receipt?: CommandSendReceipt;
  send_error?: CommandSendError;
  message?: CommandMessage;
  ack?: CommandAck;
  flow?: CommandFlow;
  unsubscribe?: CommandUnsubscribe;
  success?: CommandSuccess;
  error?: CommandError;
  close_producer?: CommandCloseProducer;
  close_consumer?: CommandCloseConsumer;
  producer_success?: CommandProducerSuccess;
  ping?: CommandPing;
  pong?: CommandPong;
  redeliverUnacknowledgedMessages?: CommandRedeliverUnacknowledgedMessages;
  partitionMetadata?: CommandPartitionedTopicMetadata;
  partitionMetadataResponse?: CommandPartitionedTopicMetadataResponse;
  lookupTopic?: CommandLookupTopic;
  lookupTopicResponse?: CommandLookupTopicResponse;
  reachedEndOfTopic?: CommandReachedEndOfTopic;
  seek?: CommandSeek;
  getLastMessageId?: CommandGetLastMessageId;
  getLastMessageIdResponse?: CommandGetLastMessageIdResponse;
  active_consumer_change?: CommandActiveConsumerChange;
  getTopicsOfNamespace?: CommandGetTopicsOfNamespace;
  getTopicsOfNamespaceResponse?: CommandGetTopicsOfNamespaceResponse;
  authChallenge?: CommandAuthChallenge;
  authResponse?: CommandAuthResponse;
  ackResponse?: CommandAckResponse;
  topicMigrated?: CommandTopicMigrated;
}

/** Sub-message field name and spec per command type (field number == type number). */
export const COMMAND_FIELDS: ReadonlyArray<[CommandType, keyof BaseCommand, MessageSpec]> = [
  [CommandType.CONNECT, 'connect', CommandConnectSpec],
  [CommandType.CONNECTED, 'connected', CommandConnectedSpec],
  [CommandType.SUBSCRIBE, 'subscribe', CommandSubscribeSpec],
  [CommandType.PRODUCER, 'producer', CommandProducerSpec],
  [CommandType.SEND, 'send', CommandSendSpec],
  [CommandType.SEND_RECEIPT, 'send_receipt', CommandSendReceiptSpec],
  [CommandType.SEND_ERROR, 'send_error', CommandSendErrorSpec],
  [CommandType.MESSAGE, 'message', CommandMessageSpec],
  [CommandType.ACK, 'ack', CommandAckSpec],
  [CommandType.FLOW, 'flow', CommandFlowSpec],
  [CommandType.UNSUBSCRIBE, 'unsubscribe', CommandUnsubscribeSpec],
  [CommandType.SUCCESS, 'success', CommandSuccessSpec],
  [CommandType.ERROR, 'error', CommandErrorSpec],
  [CommandType.CLOSE_PRODUCER, 'close_producer', CommandCloseProducerSpec],
  [CommandType.CLOSE_CONSUMER, 'close_consumer', CommandCloseConsumerSpec],
  [CommandType.PRODUCER_SUCCESS, 'producer_success', CommandProducerSuccessSpec],
  [CommandType.PING, 'ping', CommandPingSpec],
  [CommandType.PONG, 'pong', CommandPongSpec],
  [
    CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
    'redeliverUnacknowledgedMessages',
    CommandRedeliverUnacknowledgedMessagesSpec,
  ],
  [CommandType.PARTITIONED_METADATA, 'partitionMetadata', CommandPartitionedTopicMetadataSpec],
  [
    CommandType.PARTITIONED_METADATA_RESPONSE,
    'partitionMetadataResponse',
    CommandPartitionedTopicMetadataResponseSpec,
  ],
  [CommandType.LOOKUP, 'lookupTopic', CommandLookupTopicSpec],
  [CommandType.LOOKUP_RESPONSE, 'lookupTopicResponse', CommandLookupTopicResponseSpec],
  [CommandType.REACHED_END_OF_TOPIC, 'reachedEndOfTopic', CommandReachedEndOfTopicSpec],
  [CommandType.SEEK, 'seek', CommandSeekSpec],
  [CommandType.GET_LAST_MESSAGE_ID, 'getLastMessageId', CommandGetLastMessageIdSpec],
  [
    CommandType.GET_LAST_MESSAGE_ID_RESPONSE,
    'getLastMessageIdResponse',
    CommandGetLastMessageIdResponseSpec,
  ],
  [CommandType.ACTIVE_CONSUMER_CHANGE, 'active_consumer_change', CommandActiveConsumerChangeSpec],
  [CommandType.GET_TOPICS_OF_NAMESPACE, 'getTopicsOfNamespace', CommandGetTopicsOfNamespaceSpec],
  [
    CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE,
    'getTopicsOfNamespaceResponse',
    CommandGetTopicsOfNamespaceResponseSpec,
  ],
  [CommandType.AUTH_CHALLENGE, 'authChallenge', CommandAuthChallengeSpec],
  [CommandType.AUTH_RESPONSE, 'authResponse', CommandAuthResponseSpec],
  [CommandType.ACK_RESPONSE, 'ackResponse', CommandAckResponseSpec],
  [CommandType.TOPIC_MIGRATED, 'topicMigrated', CommandTopicMigratedSpec],
];

export const BaseCommandSpec: MessageSpec = spec(
  'BaseCommand',
  req(1, 'type', 'enum'),
  ...COMMAND_FIELDS.map(([type, name, s]) => opt(type, name, () => s)),
);
