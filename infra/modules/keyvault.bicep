// Key Vault (RBAC authorization) holding the secrets; the apps read them through Key Vault
// references with their managed identity (Key Vault Secrets User). A secret whose parameter is
// empty is not written: set it later with `az keyvault secret set` (see docs/operations.md).
param location string
param name string
param tenantId string
@description('Principal (object) id of the identity the apps run as.')
param principalId string
@secure()
param botAppPassword string = ''
@secure()
param xBearerToken string = ''
@secure()
param openAiApiKey string = ''
param tags object = {}

var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource botPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(botAppPassword)) {
  parent: vault
  name: 'bot-app-password'
  properties: {
    value: botAppPassword
    contentType: 'Microsoft Entra client secret of the bot app registration'
  }
}

resource xBearerSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(xBearerToken)) {
  parent: vault
  name: 'x-bearer-token'
  properties: {
    value: xBearerToken
    contentType: 'X API app-only bearer token (read)'
  }
}

resource openAiSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(openAiApiKey)) {
  parent: vault
  name: 'openai-api-key'
  properties: {
    value: openAiApiKey
    contentType: 'OpenAI or Azure OpenAI API key'
  }
}

resource secretsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, principalId, secretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
output vaultUri string = vault.properties.vaultUri
// Versionless secret URLs: Container Apps picks the newest version (rotation, see the docs).
output botAppPasswordSecretUrl string = empty(botAppPassword) ? '' : '${vault.properties.vaultUri}secrets/bot-app-password'
output xBearerTokenSecretUrl string = empty(xBearerToken) ? '' : '${vault.properties.vaultUri}secrets/x-bearer-token'
output openAiApiKeySecretUrl string = empty(openAiApiKey) ? '' : '${vault.properties.vaultUri}secrets/openai-api-key'
