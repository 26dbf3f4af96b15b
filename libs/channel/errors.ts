/** Thrown for a message on an intermediate topic that this build cannot read. */
export class ChannelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelFormatError';
  }
}

/**
 * Thrown when a records envelope follows one its reader never applied: envelopes between
 * them were skipped (the subscription's cursor moved past them). The reader must not apply
 * it, but re-read from its committed position.
 */
export class ChannelGapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelGapError';
  }
}
