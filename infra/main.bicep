// TeamsPro Functions: everything one tenant needs in its own subscription, in one
// resource group. Deploy with `azd up`, or with
//   az deployment group create -g <group> -f infra/main.bicep -p environmentName=<name> entraClientId=... entraTenantId=... entraAppIdUri=...
// and check the templates with `az bicep build --file infra/main.bicep` (see docs/deploy.md).
//
// Every credential is the one user-assigned managed identity below: no account key,
// connection string or secret is written into app settings or outputs. The only
// secret, the SendGrid API key, lives in Key Vault and reaches the app through a
// Key Vault reference resolved with that identity.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(40)
@description('Name of the environment (azd sets it); part of every resource name.')
param environmentName string

@description('Azure region of every resource; it must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Application (client) id of the Entra app registration that Teams SSO issues tokens for.')
param entraClientId string

@description('App ID URI of that registration, api://<tab host>/<client id>.')
param entraAppIdUri string

@description('Tenant id of the deploying organization; tokens from it are accepted.')
param entraTenantId string = tenant().tenantId

@description('Further tenant ids whose users may sign in (comma separated), or * for any tenant. Empty: the deploying tenant only.')
param entraAllowedTenants string = ''

@description('Object ids (comma separated) of users who are administrators even without the app role.')
param adminObjectIds string = ''

@description('Name of the app role that makes a user an administrator.')
param adminAppRole string = 'TeamsPro.Admin'

@description('Origins of the Teams tab pages allowed to call the API from the browser, comma separated, such as https://tabs.contoso.com.')
param corsAllowedOrigins string = ''

@secure()
@description('SendGrid API key. When given, it is stored in Key Vault (secret sendgrid-api-key) and referenced from the app. Empty: keep the secret already in the vault if sendGridKeyInVault is true, otherwise send no mail.')
param sendGridApiKey string = ''

@description('True when the secret sendgrid-api-key was put into the vault outside this deployment (az keyvault secret set) and must be referenced.')
param sendGridKeyInVault bool = false

@description('A trial without SendGrid: let the app start and write its mails to the instance\'s temporary disk, where they are lost. False: the app refuses to start without a SendGrid key.')
param allowMailOnDisk bool = false

@description('Sender of every mail, such as "TeamsPro <noreply@contoso.com>".')
param mailFrom string = 'TeamsPro <noreply@teamspro.invalid>'

@description('The origin clients reach the API at when it is not the function app\'s own host name (a custom domain, say https://teamspro.contoso.com): links the API hands out, such as ICS feed URLs, are built from it. Empty: https://<the app\'s default host name>.')
param publicOrigin string = ''

@description('Prefix of every table name, letters and digits, at most 20.')
@maxLength(20)
param tablePrefix string = 'teamspro'

@allowed([ 'debug', 'info', 'warn', 'error' ])
param logLevel string = 'info'

@description('Name of the Service Bus queue that carries notifications.')
param notificationQueueName string = 'notifications'

@allowed([ 'Basic', 'Standard' ])
@description('Service Bus tier. Basic has queues, scheduled messages and dead-lettering, which is all the app uses; Standard adds topics and duplicate detection.')
param serviceBusSku string = 'Basic'

@description('Upper bound of Flex Consumption instances; caps cost and the load on Table Storage.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@allowed([ 512, 2048, 4096 ])
@description('Memory of each instance. The handler is a small static binary: 512 MB is plenty.')
param instanceMemoryMB int = 512

@description('Keep the Key Vault from being purged while soft-deleted. Irreversible once on; leave off for trial environments.')
param keyVaultPurgeProtection bool = false

// A short, stable suffix makes names unique per subscription, group and environment.
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
// The origins as a list, without blanks ('' gives an empty list).
var corsOrigins = filter(map(split(corsAllowedOrigins, ','), o => trim(o)), o => !empty(o))
var tags = { 'azd-env-name': environmentName, product: 'teamspro-functions' }

// The one identity of the app: the function app runs as it, and every role below is
// granted to it alone.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-teamspro-${resourceToken}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: identity.properties.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: identity.properties.principalId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    sku: serviceBusSku
    queueName: notificationQueueName
    principalId: identity.properties.principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: identity.properties.principalId
    sendGridApiKey: sendGridApiKey
    purgeProtection: keyVaultPurgeProtection
  }
}

// The app uses outputs of every other module, so it is created after them and after
// their role assignments: the host reads its storage and package with the identity from
// its first start.
module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    identityId: identity.id
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    notificationQueueName: serviceBus.outputs.queueName
    appInsightsConnectionString: monitoring.outputs.connectionString
    sendGridSecretUri: (!empty(sendGridApiKey) || sendGridKeyInVault) ? keyVault.outputs.sendGridSecretUri : ''
    entraClientId: entraClientId
    entraAppIdUri: entraAppIdUri
    entraTenantId: entraTenantId
    entraAllowedTenants: entraAllowedTenants
    adminObjectIds: adminObjectIds
    adminAppRole: adminAppRole
    corsAllowedOrigins: corsOrigins
    mailFrom: mailFrom
    publicOrigin: publicOrigin
    allowMailOnDisk: allowMailOnDisk
    tablePrefix: tablePrefix
    logLevel: logLevel
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

// Outputs carry names and URLs only, never a key. azd stores them in the environment.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_URL string = functionApp.outputs.url
output API_BASE_URL string = '${functionApp.outputs.url}/api'
output MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
output MANAGED_IDENTITY_NAME string = identity.name
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output DEPLOYMENT_CONTAINER_NAME string = storage.outputs.deploymentContainerName
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output NOTIFICATION_QUEUE string = serviceBus.outputs.queueName
output KEY_VAULT_NAME string = keyVault.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output ENTRA_CLIENT_ID string = entraClientId
output ENTRA_APP_ID_URI string = entraAppIdUri
