/** Extend this (or list the class in a subscription's `nonRetryable`) for failures that retrying cannot fix. */
export class NonRetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
