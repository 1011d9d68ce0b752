// Log Analytics (container logs: the JSON lines of bot/logs.py) and Application Insights
// (OpenTelemetry traces and metrics of bot/telemetry.py).
param location string
param workspaceName string
param appInsightsName string
param retentionInDays int = 30
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    RetentionInDays: retentionInDays
    // Local authentication stays on: the OpenTelemetry exporter uses the connection string.
    DisableIpMasking: false
  }
}

output workspaceName string = workspace.name
output workspaceId string = workspace.id
output appInsightsConnectionString string = appInsights.properties.ConnectionString
