"""The SMS function: invitations to rate when a case completes, inbound replies as ratings on channel
`sms`, notifications. Built by the SMS issue on the cases table (functions.core.storage.tables.CASES),
the province's SmsTexts and the rate function's RatingService (the same code path as the API)."""
