package functions

// StatusOf is statusOf, the one mapping of error codes to HTTP statuses,
// for the tests that hold the OpenAPI document to it.
var StatusOf = statusOf
