"""Accounts: organisations, teams, people, roles, invites and passkeys."""
