"""Content as data: lessons, quiz banks, FAQ, sources, glossary; loading, checking, searching."""
