"""The running product: the runtime built from settings, the server, worker processes, jobs."""
