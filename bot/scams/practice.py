from dataclasses import dataclass
@dataclass(frozen=True)
class PracticeItem: pass
@dataclass(frozen=True)
class PracticeSet: pass
def load_practice(content_dir): raise NotImplementedError
