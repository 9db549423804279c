package dev.starling.core.error;

/**
 * Closed set of failure codes. The first group mirrors gRPC status codes so a transport can map them
 * both ways; the second group is specific to federated learning.
 */
public enum ErrorCode {
  /** The operation was cancelled, typically by the caller. */
  CANCELLED,
  /** An unknown error, for example an exception thrown by a client's learner. */
  UNKNOWN,
  /** The client sent something malformed: wrong shape, NaN, wrong round, oversize. */
  INVALID_ARGUMENT,
  /** The client did not answer before the round deadline. */
  DEADLINE_EXCEEDED,
  /** A referenced entity (client, tensor, file) does not exist. */
  NOT_FOUND,
  /** The caller is not allowed to do this. */
  PERMISSION_DENIED,
  /** The caller did not authenticate. */
  UNAUTHENTICATED,
  /** The system is not in a state that allows the operation. */
  FAILED_PRECONDITION,
  /** A bug: an invariant was violated. */
  INTERNAL,
  /** The client is unreachable or dropped out of the round. */
  UNAVAILABLE,
  /** Not enough clients were available or succeeded to complete a round. */
  QUORUM_NOT_MET,
  /** The privacy budget would be exceeded by the operation. */
  BUDGET_EXHAUSTED
}
