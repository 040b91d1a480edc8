import type { RiskClass } from "@/server/shared/risk";

const STYLE: Record<RiskClass, string> = {
  READ: "bg-slate-100 text-slate-700",
  SENSITIVE_READ: "bg-violet-100 text-violet-800",
  DESTRUCTIVE: "bg-rose-100 text-rose-800",
  DISABLED: "bg-slate-200 text-slate-600",
};

const LABEL: Record<RiskClass, string> = {
  READ: "Read",
  SENSITIVE_READ: "Sensitive read",
  DESTRUCTIVE: "Destructive",
  DISABLED: "Disabled",
};

export function RiskBadge({ riskClass }: { riskClass: RiskClass }) {
  return (
    <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${STYLE[riskClass]}`}>{LABEL[riskClass]}</span>
  );
}

export function timeAgo(date: Date | string): string {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(date).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function timeLeft(date: Date | string): string {
  const minutes = Math.round((new Date(date).getTime() - Date.now()) / 60_000);
  if (minutes <= 0) return "expired";
  if (minutes < 60) return `${minutes} min left`;
  return `${Math.round(minutes / 60)} h left`;
}
