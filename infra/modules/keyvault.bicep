// Key Vault with Azure RBAC holding the app's only secret, the SendGrid API key.
// The app reads it through a Key Vault reference resolved with the managed identity.
param location string
param tags object
param resourceToken string

@description('Principal id of the app identity, granted Key Vault Secrets User.')
param principalId string

@secure()
@description('SendGrid API key; the secret is written only when this is not empty.')
param sendGridApiKey string = ''

param purgeProtection bool = false

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var sendGridSecretName = 'sendgrid-api-key'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-tp-${take(resourceToken, 13)}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // Purge protection cannot be turned off again, so it is only set when asked for.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource sendGridSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(sendGridApiKey)) {
  parent: vault
  name: sendGridSecretName
  properties: {
    value: sendGridApiKey
    contentType: 'text/plain'
  }
}

// The vault holds this app's secrets only, so the role is granted on the vault; the
// secret may be created later with az keyvault secret set.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

output name string = vault.name
// Versionless, so a rotated secret is picked up without a redeployment.
output sendGridSecretUri string = '${vault.properties.vaultUri}secrets/${sendGridSecretName}'
