/** One message of the conversation that led to a request, as the reviewer reads it. */
import { Markdown } from "../chat/markdown";
import { prettyJson, type RequestDetailData } from "../hooks/use-request-decision";
import { ScrollPre } from "../ui/scroll-box";

type ContextPart = {
  type: string;
  text?: string;
  toolName?: string;
  input?: unknown;
  output?: { type?: string; value?: unknown };
};

export function ContextMessage({ message }: { message: RequestDetailData["context"][number] }) {
  const parts = message.parts as ContextPart[];
  return (
    <div
      className={`min-w-0 rounded-lg px-3 py-2 text-sm break-words ${message.role === "USER" ? "bg-slate-900 text-white" : "bg-white"}`}
    >
      <p className="mb-1 text-[11px] font-semibold tracking-wide uppercase opacity-80">{message.role.toLowerCase()}</p>
      {parts.map((part, index) => {
        const key = `${message.id}-${index}`;
        if (part.type === "text")
          return message.role === "USER" ? (
            <p key={key} className="whitespace-pre-wrap">
              {part.text}
            </p>
          ) : (
            <Markdown key={key} text={part.text ?? ""} />
          );
        if (part.type === "tool-call")
          return (
            <p key={key} className="font-mono text-xs break-all">
              → {part.toolName}({JSON.stringify(part.input)})
            </p>
          );
        if (part.type === "tool-result")
          return (
            <ScrollPre
              key={key}
              className="max-h-32 overflow-auto font-mono text-xs whitespace-pre-wrap text-slate-600"
            >
              ← {part.toolName}: {prettyJson(part.output?.value)}
            </ScrollPre>
          );
        return null;
      })}
    </div>
  );
}
