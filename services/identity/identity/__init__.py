"""Identity service: accounts, sessions, the gateway's session check and member-company links."""
