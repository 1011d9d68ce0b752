// The Azure Bot resource (single-tenant app registration, or the user-assigned managed
// identity) with the Microsoft Teams channel, pointing at the web app's /api/messages.
param name string
param displayName string = 'Pulse'
param messagingEndpoint string
param msaAppId string
@allowed([ 'SingleTenant', 'UserAssignedMSI' ])
param msaAppType string = 'SingleTenant'
param msaAppTenantId string
@description('Resource id of the user-assigned identity (UserAssignedMSI only).')
param msaAppMsiResourceId string = ''
@allowed([ 'F0', 'S1' ])
param sku string = 'S1'
param appInsightsConnectionString string = ''
param tags object = {}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: name
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: sku
  }
  properties: {
    displayName: displayName
    endpoint: messagingEndpoint
    msaAppId: msaAppId
    msaAppType: msaAppType
    msaAppTenantId: msaAppTenantId
    msaAppMSIResourceId: msaAppType == 'UserAssignedMSI' ? msaAppMsiResourceId : null
    disableLocalAuth: false
    isStreamingSupported: false
    publicNetworkAccess: 'Enabled'
    developerAppInsightsApplicationId: null
    description: empty(appInsightsConnectionString) ? 'Pulse' : 'Pulse (telemetry in Application Insights)'
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
      acceptedTerms: true
    }
  }
}

output name string = bot.name
output endpoint string = bot.properties.endpoint
