"""Text as residents write it and as the bot writes back: folding, masking, translations, problems."""
