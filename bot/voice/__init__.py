"""Read-aloud ("🔊 Nghe"): texts said the Vietnamese way, by the ward's chosen voice, as cached OGG/Opus files."""
