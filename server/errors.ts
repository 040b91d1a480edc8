/**
 * Domain errors with a typed code. Services throw these; the tRPC error formatter maps
 * each code to a status once. Messages are written for the person who sees them.
 */
export const ERROR_STATUS = {
  "auth:unauthenticated": "UNAUTHORIZED",
  "auth:forbidden": "FORBIDDEN",
  "auth:inactive": "FORBIDDEN",
  "auth:rate-limited": "TOO_MANY_REQUESTS",
  "request:invalid": "BAD_REQUEST",
  "request:cross-site": "FORBIDDEN",
  "conversation:not-found": "NOT_FOUND",
  "run:not-found": "NOT_FOUND",
  "run:busy": "CONFLICT",
  "run:finished": "CONFLICT",
  "model:unknown": "BAD_REQUEST",
  "model:unavailable": "BAD_REQUEST",
  "tool:unknown": "NOT_FOUND",
  "approval:not-found": "NOT_FOUND",
  "approval:own-request": "FORBIDDEN",
  "approval:not-reviewer": "FORBIDDEN",
  "approval:already-decided": "CONFLICT",
  "approval:already-voted": "CONFLICT",
  "approval:expired": "CONFLICT",
  "approval:voided": "CONFLICT",
  "approval:invalid-edit": "BAD_REQUEST",
  "approval:edit-denied": "BAD_REQUEST",
  "approval:not-requester": "FORBIDDEN",
  "admin:conflict": "CONFLICT",
  "admin:last-admin": "CONFLICT",
  "admin:confirmation-required": "BAD_REQUEST",
  "admin:not-found": "NOT_FOUND",
  "admin:invalid": "BAD_REQUEST",
  "admin:self-change": "FORBIDDEN",
  "admin:secrets-key-missing": "BAD_REQUEST",
  "user:exists": "CONFLICT",
  "user:wrong-password": "BAD_REQUEST",
  "api-token:not-found": "NOT_FOUND",
  "api-token:limit": "CONFLICT",
  "server:stopping": "SERVICE_UNAVAILABLE",
  "database:unavailable": "SERVICE_UNAVAILABLE",
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AirlockError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AirlockError";
  }
}
