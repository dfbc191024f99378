// Turns GraphQL errors (extensions.code from issue 4's fixed set) into one typed ApiError, and
// ApiErrors into the plain sentences the views show. Fed by api/http.ts and api/live.ts.

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "VALIDATION_FAILED"
  | "CONFLICT"
  | "QUOTA_EXCEEDED"
  | "RATE_LIMITED"
  | "INTERNAL"
  | "NETWORK";

const KNOWN_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "VALIDATION_FAILED",
  "CONFLICT",
  "QUOTA_EXCEEDED",
  "RATE_LIMITED",
  "INTERNAL",
]);

export interface GraphQLErrorLike {
  message?: string;
  extensions?: Record<string, unknown> | null;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  /** The offending input field of a VALIDATION_FAILED error, e.g. "name". */
  readonly field: string | null;
  /** Seconds to wait before the next try, when the API says so (RATE_LIMITED). */
  readonly retryAfter: number | null;
  readonly extensions: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.extensions = extensions;
    this.field = typeof extensions.field === "string" ? extensions.field : null;
    const wait = extensions.retryAfter ?? extensions.retryAfterSeconds;
    this.retryAfter = typeof wait === "number" ? wait : null;
  }
}

export function fromGraphQLError(error: GraphQLErrorLike): ApiError {
  const extensions = error.extensions ?? {};
  const raw = typeof extensions.code === "string" ? extensions.code : "INTERNAL";
  const code = (KNOWN_CODES.has(raw) ? raw : "INTERNAL") as ErrorCode;
  return new ApiError(code, error.message ?? "The server could not complete the request.", extensions);
}

/** A sentence a person can act on; quota and rate limits are spelled out rather than coded. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return error instanceof Error ? error.message : "Something went wrong.";
  }
  switch (error.code) {
    case "QUOTA_EXCEEDED":
      return `Quota reached: ${error.message}`;
    case "RATE_LIMITED": {
      const wait = error.retryAfter !== null ? ` Try again in ${Math.ceil(error.retryAfter)} s.` : " Wait a moment and try again.";
      return `Too many changes in a short time: ${error.message}${wait}`;
    }
    case "UNAUTHENTICATED":
      return "Your token was not accepted. Sign in again with a valid API token.";
    case "FORBIDDEN":
      return `Not allowed: ${error.message}`;
    case "NOT_FOUND":
      return `Not found: ${error.message}`;
    case "CONFLICT":
      return `Conflict: ${error.message}`;
    case "NETWORK":
      return `Cannot reach the server: ${error.message}`;
    default:
      return error.message;
  }
}
