/** What a refused call answered, as tests compare it. */
import { AirlockError } from "../errors";

/** "OK", or the AirlockError's code a refused call threw; any other error is rethrown. */
export async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof AirlockError) return error.code;
    throw error;
  }
}
