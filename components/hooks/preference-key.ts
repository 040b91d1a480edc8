/** Where a per-user preference lives in localStorage: the user's id is in the key, so people sharing a browser keep their own. */
export function preferenceKey(name: string, userId: string): string {
  return `airlock:${name}:${userId}`;
}
