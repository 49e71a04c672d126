/**
 * Text of a thrown value, for logs and stored run errors: `Error` instances give their message,
 * anything else its string form.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
