import { RunTraceView } from "@/components/trace/run-trace-view";

export default async function RunTracePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RunTraceView runId={id} />;
}
