// Queries and mutations over HTTP POST /graphql with the session's bearer token; the views call
// it through the Api interface (api/context.tsx). Any GraphQL error becomes an ApiError.
import { ApiError, fromGraphQLError, type GraphQLErrorLike } from "./errors";

export const GRAPHQL_PATH = "/graphql";

export type Variables = Record<string, unknown>;

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLErrorLike[];
}

export async function graphqlRequest<T>(
  token: string,
  query: string,
  variables: Variables = {},
  fetchImpl: typeof fetch = fetch,
): Promise<T> {
  let response: Response;
  try {
    response = await fetchImpl(GRAPHQL_PATH, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError("NETWORK", error instanceof Error ? error.message : String(error));
  }
  const body = await readBody<T>(response);
  const first = body.errors?.[0];
  if (first) throw fromGraphQLError(first);
  if (body.data === undefined || body.data === null) {
    throw new ApiError("INTERNAL", `The server answered ${response.status} without data.`);
  }
  return body.data;
}

async function readBody<T>(response: Response): Promise<GraphQLResponse<T>> {
  try {
    return (await response.json()) as GraphQLResponse<T>;
  } catch {
    // A proxy or a crashed worker answers with HTML or nothing: say so instead of a parse error.
    if (response.status === 401) return { errors: [{ message: "unauthenticated", extensions: { code: "UNAUTHENTICATED" } }] };
    if (response.status === 429) return { errors: [{ message: "rate limited", extensions: { code: "RATE_LIMITED" } }] };
    throw new ApiError("NETWORK", `The server answered ${response.status} ${response.statusText}.`);
  }
}
