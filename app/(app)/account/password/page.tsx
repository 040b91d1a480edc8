import { ChangePasswordForm } from "@/components/account/change-password-form";
import { serverApi } from "@/server/api/server-caller";

export default async function ChangePasswordPage() {
  const me = await (await serverApi()).me.get();
  return <ChangePasswordForm temporary={me?.passwordTemporary ?? false} hasPassword={me?.hasPassword ?? false} />;
}
