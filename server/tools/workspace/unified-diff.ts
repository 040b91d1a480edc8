/**
 * The unified diff a reviewer approves for write_file and edit_file. A sensitive file's
 * diff would put its secrets into the approval request, so only its shape is shown.
 */
import { createTwoFilesPatch } from "diff";

export function unifiedDiff(options: {
  path: string;
  before: string | undefined;
  after: string;
  sensitive: boolean;
}): string {
  const { path, before, after } = options;
  if (options.sensitive) {
    const lines = (text: string | undefined) => (text === undefined ? 0 : text.split("\n").length);
    return `${path} matches a sensitive-file pattern, so its content is not shown.\n${
      before === undefined ? "new file" : `${lines(before)} lines`
    } → ${lines(after)} lines, ${Buffer.byteLength(after)} bytes`;
  }
  return createTwoFilesPatch(
    before === undefined ? "/dev/null" : `a/${path}`,
    `b/${path}`,
    before ?? "",
    after,
    undefined,
    undefined,
    { context: 3 },
  );
}
