// The exact commands that give the negotiator's app a role on one Web PubSub resource.
//
// Web PubSub Service Owner holds Microsoft.SignalRService/WebPubSub/* data actions, the Auth API's
// `clientConnection/generateToken/action` among them; Web PubSub Service Reader holds only reads
// (https://learn.microsoft.com/azure/azure-web-pubsub/howto-authorize-from-application, which also
// says that a role assignment can take up to 30 minutes to propagate).

export const OWNER_ROLE = 'Web PubSub Service Owner'
export const CUSTOM_ROLE = 'Web PubSub Negotiator'
export const PROPAGATION_NOTE =
  'A new role assignment can take up to 30 minutes to apply: if you assigned it recently, wait ' +
  'and run npm run doctor again.'

/** `<name>` of `https://<name>.webpubsub.azure.com` (or `.azure.cn`); undefined for other hosts. */
export function resourceNameOf(endpoint: string): string | undefined {
  let host: string
  try {
    host = new URL(endpoint).hostname.toLowerCase()
  } catch {
    return undefined
  }
  return /^([a-z0-9][a-z0-9-]*)\.webpubsub\.azure\.(?:com|cn)$/.exec(host)?.[1]
}

/**
 * The fix for a 403 from the Auth API: `az role assignment create` at the resource's scope (the
 * resource id is looked up with `az webpubsub show`, since the configuration does not hold it),
 * or deploy/assign-role.sh for the least-privilege custom role.
 */
export function roleAssignmentFix(clientId: string, endpoint: string): string {
  const name = resourceNameOf(endpoint) ?? '<name>'
  const scope = `"$(az webpubsub show --name ${name} --resource-group <resource-group> --query id -o tsv)"`
  return [
    `Assign "${OWNER_ROLE}" to the app on this Web PubSub resource (${endpoint}); ` +
      '"Web PubSub Service Reader" is read-only and cannot issue client tokens:',
    `  az role assignment create --assignee ${clientId} --role "${OWNER_ROLE}" --scope ${scope}`,
    `or the least-privilege custom role "${CUSTOM_ROLE}" (deploy/roles/webpubsub-negotiator.json, ` +
      'only :generateToken), created once and assigned on the resource:',
    `  deploy/assign-role.sh <resource-group> ${name} ${clientId}`,
    '(az webpubsub comes with the Azure CLI extension: az extension add --name webpubsub)',
    PROPAGATION_NOTE,
  ].join('\n')
}
