// The user-assigned managed identity the bot and the worker run as: storage, Key Vault, the
// queue scale rule, the image registry and (MICROSOFT_APP_TYPE=UserAssignedMSI) the bot itself.
param location string
param name string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
output tenantId string = identity.properties.tenantId
