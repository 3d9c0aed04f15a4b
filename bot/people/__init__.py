"""People and what they may do: accounts and their links, rights, codes, the audit log."""
