"""The rules engine: rule sets as versioned YAML (rules/), eligibility criteria and quotas.

rs = load_rule_set("nd152-2025")            # or a path to an agency's own copy
result = check_nomination(session, nomination, rs)
results = check_all(session, movement)      # the rule set named by movement.rule_set
"""

from thidua.rules.engine import check_all, check_nomination, rule_set_for
from thidua.rules.ruleset import (
    DEFAULT_RULE_SET,
    KNOWN_TITLES,
    Quota,
    Rule,
    RuleSet,
    Threshold,
    Title,
    load_rule_set,
    parse_threshold,
    rules_dir,
)

__all__ = [
    "DEFAULT_RULE_SET",
    "KNOWN_TITLES",
    "Quota",
    "Rule",
    "RuleSet",
    "Threshold",
    "Title",
    "check_all",
    "check_nomination",
    "load_rule_set",
    "parse_threshold",
    "rule_set_for",
    "rules_dir",
]
