"""Named CDK constructs of a province's stack: data now; api, tickets, sms and monitoring to come."""
