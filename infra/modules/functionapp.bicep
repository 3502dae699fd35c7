// The Flex Consumption plan and the Linux function app running the custom handler.
//
// App settings: every setting the handler reads (internal/config, config.Settings())
// is listed here, with '' where it is unused in Azure, so that a missing one is a
// test failure (infra/settings_test.go) and not a surprise in production. Settings
// the platform sets itself (WEBSITE_INSTANCE_ID, FUNCTIONS_CUSTOMHANDLER_PORT) are
// not listed. FUNCTIONS_WORKER_RUNTIME must not be set on Flex Consumption: the
// runtime comes from functionAppConfig.runtime.
param location string
param tags object
param resourceToken string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string
@description('Client id of that identity, for AZURE_CLIENT_ID and the host connections.')
param identityClientId string

param storageAccountName string
param blobEndpoint string
param tableEndpoint string
param deploymentContainerName string
param serviceBusNamespace string
param notificationQueueName string
param appInsightsConnectionString string

@description('Versionless Key Vault URI of the SendGrid key, or empty to send no mail.')
param sendGridSecretUri string

param entraClientId string
param entraAppIdUri string
param entraTenantId string
param entraAllowedTenants string
param adminObjectIds string
param adminAppRole string
param corsAllowedOrigins array
param mailFrom string
param publicOrigin string
param allowMailOnDisk bool
param tablePrefix string
param logLevel string
param maximumInstanceCount int
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-teamspro-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-teamspro-${resourceToken}'
  location: location
  // azd finds the app to deploy the service "api" to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references (SENDGRID_API_KEY) are resolved with the app identity.
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // The Teams tab calls the API from the browser at its own origin. The platform
      // answers CORS (preflights included), so the handler's own CORS is off below.
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
      appSettings: [
        // Host storage, reached with the identity (no account key).
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }

        // Telemetry with Entra auth (Application Insights has local auth off).
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }

        { name: 'LOG_LEVEL', value: logLevel }
        // The tabs' pages are served at the root by the web function (host.json
        // routePrefix ""): the host's own welcome page must not answer /.
        { name: 'AzureWebJobsDisableHomepage', value: 'true' }

        // Tables through the identity: the connection string stays empty.
        { name: 'TableStorage', value: '' }
        { name: 'TableStorage__tableServiceUri', value: tableEndpoint }
        { name: 'TABLE_PREFIX', value: tablePrefix }
        // Tells azidentity in the handler which identity to use.
        { name: 'AZURE_CLIENT_ID', value: identityClientId }

        // Service Bus through the identity. The handler reads
        // __fullyQualifiedNamespace; the host's trigger also reads __credential and
        // __clientId of the same connection name.
        { name: 'ServiceBusConnection', value: '' }
        { name: 'ServiceBusConnection__fullyQualifiedNamespace', value: serviceBusNamespace }
        { name: 'ServiceBusConnection__credential', value: 'managedidentity' }
        { name: 'ServiceBusConnection__clientId', value: identityClientId }
        { name: 'NOTIFICATION_QUEUE', value: notificationQueueName }

        // Sign-in with Teams SSO tokens.
        { name: 'ENTRA_CLIENT_ID', value: entraClientId }
        { name: 'ENTRA_APP_ID_URI', value: entraAppIdUri }
        { name: 'ENTRA_TENANT_ID', value: entraTenantId }
        { name: 'ENTRA_ALLOWED_TENANTS', value: entraAllowedTenants }
        { name: 'ENTRA_API_SCOPE', value: 'access_as_user' }
        { name: 'ENTRA_JWKS_URL', value: '${environment().authentication.loginEndpoint}common/discovery/v2.0/keys' }
        { name: 'ENTRA_CLOCK_SKEW', value: '2m' }
        { name: 'ADMIN_APP_ROLE', value: adminAppRole }
        { name: 'ADMIN_OBJECT_IDS', value: adminObjectIds }

        // The dev issuer is for local runs only (and the handler refuses it in Azure).
        { name: 'DEV_SIGNIN', value: 'false' }
        { name: 'DEV_SIGNIN_KEY_FILE', value: '' }
        // The Functions host runs the timers in Azure (and the handler refuses its own there).
        { name: 'LOCAL_TIMERS', value: 'false' }
        { name: 'EXTERNAL_CALENDAR_TEST_NETWORKS', value: '' }

        // Mail. The key is a Key Vault reference, never the key itself. Without it
        // mails would be written to the instance's temporary disk and lost, which
        // the handler accepts only with ALLOW_LOCAL_DELIVERY_IN_AZURE.
        { name: 'SENDGRID_API_KEY', value: empty(sendGridSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${sendGridSecretUri})' }
        { name: 'SENDGRID_BASE_URL', value: 'https://api.sendgrid.com' }
        { name: 'MAIL_FROM', value: mailFrom }
        { name: 'MAIL_OUTBOX_DIR', value: '/tmp/teamspro-outbox' }
        // Without SendGrid the handler refuses to start unless this is true.
        { name: 'ALLOW_LOCAL_DELIVERY_IN_AZURE', value: string(allowMailOnDisk) }

        // Empty: the handler uses https://WEBSITE_HOSTNAME, which the platform sets.
        { name: 'PUBLIC_ORIGIN', value: publicOrigin }
        // CORS is answered by the platform (siteConfig.cors above).
        { name: 'CORS_ALLOWED_ORIGINS', value: '' }
        { name: 'MAX_BODY_BYTES', value: '1048576' }
        { name: 'CACHE_TTL', value: '15s' }
        { name: 'SOFT_DELETE_RETENTION', value: '720h' }
      ]
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
