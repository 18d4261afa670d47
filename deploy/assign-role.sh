#!/usr/bin/env bash
# Creates the least-privilege custom role (deploy/roles/) in a subscription and assigns it to the
# negotiator's app registration on one Web PubSub resource: the narrowest scope that works.
#
#   deploy/assign-role.sh <resource-group> <web-pubsub-name> <app-client-id> [--revocation]
#
# Needs the Azure CLI signed in (`az login`) as someone allowed to create role definitions and
# assignments (Owner or User Access Administrator on the subscription). A new assignment can take
# up to 30 minutes to apply; /readyz (checks.authApi) says when it has.
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '5p' "$0" | sed 's/^#  *//'
  exit 2
fi
group=$1 name=$2 app=$3
file="$(dirname "$0")/roles/webpubsub-negotiator.json"
[ "${4:-}" = "--revocation" ] && file="$(dirname "$0")/roles/webpubsub-negotiator-revocation.json"

subscription=$(az account show --query id -o tsv)
resource=$(az webpubsub show -g "$group" -n "$name" --query id -o tsv)
role=$(sed -n 's/^ *"Name": "\(.*\)",$/\1/p' "$file")

# The definition is created at subscription scope (where custom roles live) once; later runs
# find it and only assign it.
if [ -z "$(az role definition list --custom-role-only true --name "$role" --query '[].id' -o tsv)" ]; then
  definition=$(mktemp)
  sed "s#/subscriptions/00000000-0000-0000-0000-000000000000#/subscriptions/$subscription#" "$file" >"$definition"
  az role definition create --role-definition "@$definition" --output none
  rm -f "$definition"
  echo "created role definition \"$role\" in subscription $subscription"
fi

az role assignment create --assignee "$app" --role "$role" --scope "$resource" --output none
echo "assigned \"$role\" to $app on $resource (it can take up to 30 minutes to apply)"
