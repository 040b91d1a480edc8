/** "What will happen": the tool's own preview of a request, a diff coloured by line. */
import type { RequestDetailData } from "../hooks/use-request-decision";
import { Panel } from "../ui/card";

type Preview = NonNullable<RequestDetailData["request"]["preview"]>;

export function RequestPreview({ preview }: { preview: Preview }) {
  return (
    <Panel>
      <h2 className="text-sm font-semibold">What will happen</h2>
      <p className="mt-1 text-sm break-words" data-testid="preview-summary">
        {preview.summary}
      </p>
      {preview.detail ? (
        // Its own scroll box: a wide diff scrolls here instead of widening the page, and
        // keyboard users reach it to scroll it.
        <pre
          data-testid="preview-detail"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll box must take focus to scroll by keyboard
          tabIndex={0}
          className="mt-2 max-h-80 max-w-full overflow-auto code-box rounded-lg p-3 font-mono text-xs leading-snug"
        >
          {preview.format === "diff"
            ? preview.detail
                .split("\n")
                .map((line, index) => (
                  <span
                    key={index}
                    className={line.startsWith("+") ? "diff-add" : line.startsWith("-") ? "diff-del" : ""}
                  >{`${line}\n`}</span>
                ))
            : preview.detail}
        </pre>
      ) : null}
    </Panel>
  );
}
