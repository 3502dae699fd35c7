// The notification queue. The handler sends (and schedules, and cancels) messages;
// the Functions host receives them for the Service Bus trigger. Local (SAS) auth is
// off: both use the managed identity.
param location string
param tags object
param resourceToken string
param sku string
param queueName string

@description('Principal id of the app identity, granted Sender and Receiver on the queue.')
param principalId string

var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
var serviceBusDataReceiver = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: 'sb-teamspro-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = {
  parent: namespace
  name: queueName
  properties: {
    // The host renews the lock while an invocation runs (host.json
    // serviceBus.maxAutoLockRenewalDuration), so the lock only has to outlive one
    // renewal. One minute means a message held by an instance that crashed or was
    // scaled in comes back after a minute instead of the five-minute maximum.
    lockDuration: 'PT1M'
    // A failed invocation abandons the message; after 10 deliveries (transient
    // failures that did not heal: storage or SendGrid down for minutes) it moves to
    // the dead-letter queue for inspection instead of retrying forever. Permanent
    // failures are recorded by the handler and completed, not retried.
    maxDeliveryCount: 10
    // Reminders are worth nothing a day late. For a scheduled message the time to
    // live starts at its scheduled time, so this never cuts a reminder booked weeks
    // ahead; one still undelivered a day after it was due is dead-lettered, not
    // dropped, so it can be seen.
    defaultMessageTimeToLive: 'P1D'
    deadLetteringOnMessageExpiration: true
    requiresSession: false
    enablePartitioning: false
    maxSizeInMegabytes: 1024
  }
}

// Scoped to the queue, not the namespace: the identity can use this queue only.
resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, principalId, serviceBusDataSender)
  scope: queue
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
  }
}

resource receiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, principalId, serviceBusDataReceiver)
  scope: queue
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataReceiver)
  }
}

// The host name only (sb-....servicebus.windows.net), as the identity-based
// connection setting <name>__fullyQualifiedNamespace expects.
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')
output queueName string = queue.name
output namespaceName string = namespace.name
