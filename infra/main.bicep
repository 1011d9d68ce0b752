// Pulse in one resource group: identity, monitoring, storage (blobs + queues), Key Vault,
// Container Apps (bot + worker) and the Azure Bot with its Teams channel.
//
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json \
//     -p botAppPassword=<secret> xBearerToken=<secret> openAiApiKey=<secret>
//
// Secrets are @secure() parameters written to Key Vault; the apps read them through Key Vault
// references. See docs/operations.md.
targetScope = 'resourceGroup'

@description('Short lowercase prefix of every resource name.')
@minLength(3)
@maxLength(12)
param namePrefix string = 'pulse'
param location string = resourceGroup().location
@description('Container image of Pulse, e.g. myregistry.azurecr.io/pulse:0.1.0')
param image string
@description('Registry login server for the image; empty for a public registry. Grant the identity AcrPull.')
param registryServer string = ''

@description('SingleTenant: an app registration with a client secret (botAppId + botAppPassword). UserAssignedMSI: the managed identity below is the bot.')
@allowed([ 'SingleTenant', 'UserAssignedMSI' ])
param botAppType string = 'SingleTenant'
@description('Application (client) id of the single-tenant app registration (SingleTenant only).')
param botAppId string = ''
@description('Microsoft Entra tenant of the bot and of the users.')
param tenantId string = subscription().tenantId
@description('Comma-separated tenants whose activities are accepted (default: tenantId).')
param allowedTenants string = ''
@secure()
@description('Client secret of the app registration (SingleTenant). Stored in Key Vault.')
param botAppPassword string = ''
@secure()
@description('X API app-only bearer token (reading). Stored in Key Vault.')
param xBearerToken string = ''
@secure()
@description('OpenAI / Azure OpenAI API key; empty uses the offline language engine. Stored in Key Vault.')
param openAiApiKey string = ''
@description('OpenAI-compatible endpoint (e.g. https://<resource>.openai.azure.com/openai/v1/); empty for OpenAI.')
param openAiBaseUrl string = ''
param openAiModel string = 'gpt-4.1-mini'
param companyName string = 'Velora'
@description('Monthly cap on X spending in dollars; empty for none.')
param xMonthlyBudgetUsd string = ''
param cacheRetentionDays int = 7
param logRetentionDays int = 30

param webMinReplicas int = 1
param webMaxReplicas int = 5
param workerMinReplicas int = 0
param workerMaxReplicas int = 10
param queueLengthPerWorker int = 20
param tags object = {
  app: 'pulse'
}

var suffix = uniqueString(resourceGroup().id, namePrefix)
var names = {
  identity: '${namePrefix}-id'
  workspace: '${namePrefix}-logs'
  appInsights: '${namePrefix}-ai'
  storage: take(toLower(replace('${namePrefix}${suffix}', '-', '')), 24)
  vault: take('${namePrefix}-kv-${suffix}', 24)
  environment: '${namePrefix}-env'
  web: '${namePrefix}-web'
  worker: '${namePrefix}-worker'
  bot: '${namePrefix}-bot-${suffix}'
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    name: names.identity
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: names.storage
    principalId: identity.outputs.principalId
    cacheRetentionDays: cacheRetentionDays
    tags: tags
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: names.vault
    tenantId: tenantId
    principalId: identity.outputs.principalId
    botAppPassword: botAppPassword
    xBearerToken: xBearerToken
    openAiApiKey: openAiApiKey
    tags: tags
  }
}

var appId = botAppType == 'UserAssignedMSI' ? identity.outputs.clientId : botAppId

module apps 'modules/containerapps.bicep' = {
  name: 'containerapps'
  params: {
    location: location
    environmentName: names.environment
    webAppName: names.web
    workerAppName: names.worker
    workspaceName: monitoring.outputs.workspaceName
    image: image
    registryServer: registryServer
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    companyName: companyName
    appId: appId
    appTenantId: tenantId
    appType: botAppType
    allowedTenants: empty(allowedTenants) ? tenantId : allowedTenants
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    containerName: storage.outputs.containerName
    queueName: storage.outputs.queueName
    cacheRetentionDays: cacheRetentionDays
    openAiBaseUrl: openAiBaseUrl
    openAiModel: openAiModel
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    xMonthlyBudgetUsd: xMonthlyBudgetUsd
    botAppPasswordSecretUrl: vault.outputs.botAppPasswordSecretUrl
    xBearerTokenSecretUrl: vault.outputs.xBearerTokenSecretUrl
    openAiApiKeySecretUrl: vault.outputs.openAiApiKeySecretUrl
    webMinReplicas: webMinReplicas
    webMaxReplicas: webMaxReplicas
    workerMinReplicas: workerMinReplicas
    workerMaxReplicas: workerMaxReplicas
    queueLengthPerWorker: queueLengthPerWorker
    tags: tags
  }
}

module bot 'modules/bot.bicep' = {
  name: 'bot'
  params: {
    name: names.bot
    messagingEndpoint: '${apps.outputs.webUrl}/api/messages'
    msaAppId: appId
    msaAppType: botAppType
    msaAppTenantId: tenantId
    msaAppMsiResourceId: identity.outputs.id
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    tags: tags
  }
}

// Read by the Agents Toolkit (m365agents.yml writes them to env/.env.<env>) and by the docs.
output BOT_ID string = appId
output BOT_DOMAIN string = apps.outputs.webFqdn
output PUBLIC_DOMAIN string = apps.outputs.webFqdn
output BOT_ENDPOINT string = '${apps.outputs.webUrl}/api/messages'
output AZURE_BOT_NAME string = bot.outputs.name
output WEB_APP_NAME string = apps.outputs.webAppName
output WORKER_APP_NAME string = apps.outputs.workerAppName
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output KEY_VAULT_NAME string = vault.outputs.name
output IDENTITY_CLIENT_ID string = identity.outputs.clientId
