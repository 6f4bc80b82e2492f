"""The W&B cloud (or a W&B server) read over its GraphQL API: credentials, the client, paging,
filter push-down, run records and full-resolution history (see :mod:`.source`)."""
