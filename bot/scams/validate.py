"""`validate(content_dir) -> list[str]`: every problem in content/scams/, one a line, for `bot content check`.

- rules.yaml and official_domains.yaml load (schema, regular expressions, ids, sources with a
  `short` title, domains that are registrable domains and not suffixes);
- every rule catches each of its own examples (a rule that cannot fire is a broken rule);
- every official domain is trusted by the checker, and the checker sees no link rule fire on it;
- practice.yaml: at least 30 messages, near half fake, similar lengths, no blind strategy passing
  more than 5% of rounds, sources that exist, a plain one-paragraph "why"; and the checker agrees
  with every answer (a fake message it calls "Chưa thấy dấu hiệu lừa", or a real one it flags,
  would contradict the practice).
"""

from __future__ import annotations

from pathlib import Path

from bot.scams.checker import check
from bot.scams.practice import integrity_problems, read_practice
from bot.scams.rules import ScamContentError, load_scam_rules, load_sources


def validate(content_dir: Path | str) -> list[str]:
    content_dir = Path(content_dir)
    problems: list[str] = []
    sources = load_sources(content_dir)
    if sources is None:
        problems.append(f"{content_dir / 'sources.yaml'}: file missing")
    else:
        for source_id, source in sources.items():
            if not str(source.get("short") or "").strip():
                problems.append(f"{content_dir / 'sources.yaml'}: source {source_id} has no short title")
    try:
        rules = load_scam_rules(content_dir)
    except ScamContentError as error:
        return problems + error.problems
    rules_path = content_dir / "scams" / "rules.yaml"
    for rule in rules.rules:
        for example in rule.examples:
            if rule.id not in check(example, rules).rule_ids:
                problems.append(f"{rules_path}: rule '{rule.id}' does not catch its example “{example}”")
    for org in rules.organisations:
        for domain in org.domains:
            verdict = check(f"https://{domain}", rules)
            if verdict.verdict != "an-toan" and org.official:
                problems.append(f"{content_dir / 'scams' / 'official_domains.yaml'}: the checker flags {domain} "
                                f"({', '.join(verdict.rule_ids)})")
    practice_path = content_dir / "scams" / "practice.yaml"
    practice, found = read_practice(practice_path, set(sources) if sources is not None else None)
    problems += found
    if practice is not None:
        problems += integrity_problems(practice, practice_path)
        for item in practice.items:
            verdict = check(item.text, rules)
            if item.is_scam and verdict.verdict == "an-toan":
                problems.append(f"{practice_path}: item {item.id} is a scam but the checker says “{verdict.word}”")
            if not item.is_scam and verdict.verdict != "an-toan":
                problems.append(f"{practice_path}: item {item.id} is real but the checker says “{verdict.word}” "
                                f"({', '.join(verdict.rule_ids)})")
    return problems
