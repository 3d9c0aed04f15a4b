"""A person's rights over their data: what is held (inventory), a copy of it (export), deleting it (erase)."""
