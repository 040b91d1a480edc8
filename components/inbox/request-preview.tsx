/** "What will happen": the tool's own preview of a request, a diff coloured by line. */
import type { RequestDetailData } from "../hooks/use-request-decision";
import { Panel } from "../ui/card";
import { ScrollPre } from "../ui/scroll-box";

type Preview = NonNullable<RequestDetailData["request"]["preview"]>;

export function RequestPreview({ preview }: { preview: Preview }) {
  return (
    <Panel>
      <h2 className="text-sm font-semibold">What will happen</h2>
      <p className="mt-1 text-sm break-words" data-testid="preview-summary">
        {preview.summary}
      </p>
      {preview.detail ? (
        <ScrollPre
          testId="preview-detail"
          label="Preview detail"
          className="mt-2 max-h-80 code-box rounded-lg p-3 font-mono text-xs leading-snug"
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
        </ScrollPre>
      ) : null}
    </Panel>
  );
}
