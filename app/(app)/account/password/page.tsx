import { ApiTokens } from "@/components/account/api-tokens";
import { ChangePasswordForm } from "@/components/account/change-password-form";
import { SignOutEverywhere } from "@/components/account/sign-out-everywhere";
import { serverApi } from "@/server/api/server-caller";

export default async function AccountPage() {
  const me = await (await serverApi()).me.get();
  return (
    <>
      <ChangePasswordForm temporary={me?.passwordTemporary ?? false} hasPassword={me?.hasPassword ?? false} />
      <SignOutEverywhere />
      <ApiTokens />
    </>
  );
}
