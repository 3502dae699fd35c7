// Logs and telemetry: a Log Analytics workspace and a workspace-based Application
// Insights that accepts telemetry only from Entra identities (local auth off), so
// the connection string alone is not a credential.
param location string
param tags object
param resourceToken string

@description('Principal id of the app identity, granted Monitoring Metrics Publisher.')
param principalId string

@description('Days of log retention in the workspace.')
param retentionInDays int = 30

// Monitoring Metrics Publisher: lets the identity send telemetry with Entra auth.
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-teamspro-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-teamspro-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

// The connection string names the ingestion endpoint and the instrumentation key,
// which is an identifier, not a secret, once local auth is off.
output connectionString string = appInsights.properties.ConnectionString
output appInsightsName string = appInsights.name
output workspaceName string = workspace.name
