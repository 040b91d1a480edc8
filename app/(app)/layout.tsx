import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { safeReturnPath } from "@/components/safe-return-path";
import { RETURN_TO_HEADER } from "@/proxy";
import { currentUser } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";

export default async function AuthenticatedLayout({ children }: { children: ReactNode }) {
  const me = await currentUser();
  if (!me) {
    const back = safeReturnPath((await headers()).get(RETURN_TO_HEADER));
    redirect(back && back !== "/chat" ? `/signin?callbackUrl=${encodeURIComponent(back)}` : "/signin");
  }
  return <AppShell user={me}>{children}</AppShell>;
}
