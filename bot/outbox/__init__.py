"""Messages to people other than the one being answered: the durable queue and its worker."""
