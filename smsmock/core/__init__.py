"""The mock's state and rules, with no HTTP in them: accounts, messages, lifecycle, clock, store."""
