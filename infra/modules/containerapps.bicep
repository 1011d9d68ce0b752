// Azure Container Apps: the environment, the bot (web, HTTP-scaled, /healthz and /readyz
// probes) and the worker (`python -m bot.worker`, scaled on the queue length). Both run the same
// image as the user-assigned identity; secrets are Key Vault references, never values.
param location string
param environmentName string
param webAppName string
param workerAppName string
param workspaceName string
param image string
@description('Registry login server (e.g. myregistry.azurecr.io); empty for a public image. The identity needs AcrPull on it.')
param registryServer string = ''
param identityId string
param identityClientId string

// Settings of the app (names are bot/config.py's environment aliases).
param pulseMode string = 'production'
param companyName string
param appId string
param appTenantId string
param appType string
param allowedTenants string
param storageAccountName string
param blobEndpoint string
param queueEndpoint string
param containerName string
param queueName string
param cacheRetentionDays int = 7
param openAiBaseUrl string = ''
param openAiModel string = 'gpt-4.1-mini'
param appInsightsConnectionString string = ''
param xMonthlyBudgetUsd string = ''

// Key Vault secret URLs (empty: not configured).
param botAppPasswordSecretUrl string = ''
param xBearerTokenSecretUrl string = ''
param openAiApiKeySecretUrl string = ''

// Scale.
param webMinReplicas int = 1
param webMaxReplicas int = 5
param webConcurrentRequests int = 30
param workerMinReplicas int = 0
param workerMaxReplicas int = 10
param queueLengthPerWorker int = 20
param workerPort int = 8080
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    zoneRedundant: false
  }
}

var secrets = concat(
  empty(botAppPasswordSecretUrl) ? [] : [
    { name: 'bot-app-password', keyVaultUrl: botAppPasswordSecretUrl, identity: identityId }
  ],
  empty(xBearerTokenSecretUrl) ? [] : [
    { name: 'x-bearer-token', keyVaultUrl: xBearerTokenSecretUrl, identity: identityId }
  ],
  empty(openAiApiKeySecretUrl) ? [] : [
    { name: 'openai-api-key', keyVaultUrl: openAiApiKeySecretUrl, identity: identityId }
  ]
)

var secretEnv = concat(
  empty(botAppPasswordSecretUrl) ? [] : [ { name: 'MICROSOFT_APP_PASSWORD', secretRef: 'bot-app-password' } ],
  empty(xBearerTokenSecretUrl) ? [] : [ { name: 'X_BEARER_TOKEN', secretRef: 'x-bearer-token' } ],
  empty(openAiApiKeySecretUrl) ? [] : [ { name: 'OPENAI_API_KEY', secretRef: 'openai-api-key' } ]
)

var optionalEnv = concat(
  empty(openAiBaseUrl) ? [] : [ { name: 'OPENAI_BASE_URL', value: openAiBaseUrl } ],
  empty(appInsightsConnectionString) ? [] : [ { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString } ],
  empty(xMonthlyBudgetUsd) ? [] : [ { name: 'PULSE_X_MONTHLY_BUDGET_USD', value: xMonthlyBudgetUsd } ]
)

var commonEnv = concat([
  { name: 'PULSE_MODE', value: pulseMode }
  { name: 'PULSE_LOG_FORMAT', value: 'json' }
  { name: 'PULSE_COMPANY_NAME', value: companyName }
  { name: 'MICROSOFT_APP_ID', value: appId }
  { name: 'MICROSOFT_APP_TENANT_ID', value: appTenantId }
  { name: 'MICROSOFT_APP_TYPE', value: appType }
  { name: 'PULSE_ALLOWED_TENANTS', value: allowedTenants }
  { name: 'STORAGE_BACKEND', value: 'blob' }
  { name: 'AZURE_STORAGE_ACCOUNT_URL', value: blobEndpoint }
  { name: 'AZURE_STORAGE_CONTAINER', value: containerName }
  { name: 'PULSE_CACHE_RETENTION_DAYS', value: string(cacheRetentionDays) }
  { name: 'PULSE_QUEUE_BACKEND', value: 'azure' }
  { name: 'AZURE_STORAGE_QUEUE_URL', value: queueEndpoint }
  { name: 'PULSE_QUEUE_NAME', value: queueName }
  { name: 'X_POSTING_ENABLED', value: 'false' }
  { name: 'OPENAI_MODEL', value: openAiModel }
  // DefaultAzureCredential (storage, queues) picks the user-assigned identity by its client id.
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
], optionalEnv, secretEnv)

var registries = empty(registryServer) ? [] : [
  { server: registryServer, identity: identityId }
]

resource web 'Microsoft.App/containerApps@2025-01-01' = {
  name: webAppName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: 3978
        transport: 'auto'
        allowInsecure: false
      }
      secrets: secrets
      registries: registries
    }
    template: {
      containers: [
        {
          name: 'pulse'
          image: image
          command: [ 'python', 'app.py' ]
          env: concat(commonEnv, [
            { name: 'PULSE_PORT', value: '3978' }
            { name: 'PULSE_PUBLIC_URL', value: 'https://${webAppName}.${environment.properties.defaultDomain}' }
            { name: 'OTEL_SERVICE_NAME', value: 'pulse-web' }
          ])
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          probes: [
            {
              type: 'Liveness'
              httpGet: { path: '/healthz', port: 3978 }
              initialDelaySeconds: 5
              periodSeconds: 15
              timeoutSeconds: 5
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: { path: '/readyz', port: 3978 }
              initialDelaySeconds: 3
              periodSeconds: 10
              timeoutSeconds: 6
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: webMinReplicas
        maxReplicas: webMaxReplicas
        rules: [
          {
            name: 'http-concurrency'
            http: {
              metadata: {
                concurrentRequests: string(webConcurrentRequests)
              }
            }
          }
        ]
      }
    }
  }
}

resource worker 'Microsoft.App/containerApps@2025-01-01' = {
  name: workerAppName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: secrets
      registries: registries
    }
    template: {
      // Below the 30 s default grace: SIGTERM → finish the job in hand → exit.
      terminationGracePeriodSeconds: 30
      containers: [
        {
          name: 'worker'
          image: image
          command: [ 'python', '-m', 'bot.worker' ]
          env: concat(commonEnv, [
            { name: 'PULSE_WORKER_PORT', value: string(workerPort) }
            { name: 'PULSE_WORKER_DRAIN_TIMEOUT_S', value: '25' }
            { name: 'OTEL_SERVICE_NAME', value: 'pulse-worker' }
          ])
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          probes: [
            {
              type: 'Liveness'
              httpGet: { path: '/healthz', port: workerPort }
              initialDelaySeconds: 5
              periodSeconds: 15
              timeoutSeconds: 5
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: { path: '/readyz', port: workerPort }
              initialDelaySeconds: 3
              periodSeconds: 10
              timeoutSeconds: 6
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: workerMinReplicas
        maxReplicas: workerMaxReplicas
        rules: [
          {
            name: 'queue-length'
            azureQueue: {
              accountName: storageAccountName
              queueName: queueName
              queueLength: queueLengthPerWorker
              identity: identityId
            }
          }
        ]
      }
    }
  }
}

output webFqdn string = web.properties.configuration.ingress.fqdn
output webUrl string = 'https://${web.properties.configuration.ingress.fqdn}'
output environmentId string = environment.id
output webAppName string = web.name
output workerAppName string = worker.name
