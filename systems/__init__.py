"""Connected systems: integrators' systems that use the API with their own credential (OAuth 2.0
client credentials) instead of a person's token, and what they may see and do."""
