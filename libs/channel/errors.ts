/** Thrown for a message on an intermediate topic that this build cannot read. */
export class ChannelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelFormatError';
  }
}
