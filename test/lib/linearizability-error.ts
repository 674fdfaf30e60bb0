// The one error the linearizability checker throws. A history that breaks the rules of the format (a
// response before its call, an output without a response) or options out of range say nothing about the
// system under test: they are mistakes of the code that recorded the history, so they are thrown rather
// than reported as a verdict, and the message names the operation and the rule it breaks.

export type LinearizabilityInputErrorCode =
  /** An operation's times or output break the history format. */
  | 'INVALID_OPERATION'
  /** An operation's input and output do not belong together (a put answered as a get). */
  | 'MISMATCHED_OUTPUT'
  /** A model's partition function returned operations that are not the history's, or one twice. */
  | 'INVALID_PARTITION'
  /** The check options are out of range. */
  | 'INVALID_OPTIONS';

export class LinearizabilityInputError extends Error {
  override readonly name = 'LinearizabilityInputError';

  constructor(
    readonly code: LinearizabilityInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}
