"""Outcome rules: which destination gets which final status and error, after how long."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from smsmock.core.messages import Outcome
from smsmock.core.vocabulary import NO_ERROR, vocabulary
from smsmock.resources import load_fixture, parse_yaml

DEFAULT_AFTER = 3.0
RULE_FILE_KEYS = ("default", "rules", "replace")
_RULE_FIELDS = {
    "name",
    "to",
    "text",
    "dialect",
    "account",
    "status",
    "error",
    "after",
    "queued",
    "code",
    "ported_to",
    "roaming_in",
}


SETTING = "rules"
"""The outcome rules loaded over the control API, among the shared settings (smsmock.core.shared)."""


class RuleError(ValueError):
    """An outcome rule file that cannot be used, with the rule and field at fault."""


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: re.Pattern[str] | None
    status: str
    error: str
    after: float
    dialect: str | None = None
    account: str | None = None
    ported_to: str | None = None
    roaming_in: str | None = None
    text: re.Pattern[str] | None = None
    """A pattern searched for in the message text; a rule with one never matches a message without text."""
    code: int | None = None
    """The dialect's own code the message is refused with at submission."""
    queued: float = 0.0
    literal: str | None = None
    """The one number the pattern matches, when it is a plain digit string."""
    fixed: Outcome | None = None
    """The outcome, when `status` and `error` name no group of the pattern: worked out once, at load."""

    def matches(
        self, number: str, dialect: str, account: str, text: str | None = None
    ) -> dict[str, str | None] | None:
        """The pattern's named groups when the rule applies to this number (and text), else None."""
        if self.dialect is not None and self.dialect != dialect:
            return None
        if self.account is not None and self.account != account:
            return None
        if self.text is not None and (text is None or self.text.search(text) is None):
            return None
        if self.pattern is None:
            return {}
        if self.literal is not None:
            # Most rules name one number; comparing strings is much cheaper than a regex match.
            return {} if number == self.literal else None
        match = self.pattern.fullmatch(number)
        return None if match is None else match.groupdict()


@dataclass(frozen=True, slots=True)
class Decision:
    """A rule applied to one number: the outcome, plus what Number Context reports of it."""

    outcome: Outcome
    ported_to: str | None
    roaming_in: str | None


class OutcomeRules:
    """An ordered rule list and a default; the first matching rule decides.

    Every user's rules (a configuration, `--smsmock-rules`, a marker, the control API) reach the mock
    through `extended`: they add to the rules already there unless they say `replace: true`.
    """

    def __init__(self, rules: Sequence[Rule], default: Rule) -> None:
        self.rules = tuple(rules)
        self.default = default
        # Most rules name one number. A number is only worth trying against the rules that could match
        # it: every rule that is not a plain number, and the plain-number rules for this one, in order.
        self._general = (*(rule for rule in self.rules if rule.literal is None), default)
        self._for_number: dict[str, tuple[Rule, ...]] = {
            number: tuple(rule for rule in (*self.rules, default) if rule.literal in (None, number))
            for number in {rule.literal for rule in self.rules if rule.literal is not None}
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OutcomeRules:
        """A whole rule set, exactly as written: `default` is required and nothing is added."""
        default, rules, _ = _parse(data)
        return cls(rules, default or _rule({"name": "default"}, "default", needs_pattern=False))

    @classmethod
    def default_rules(cls) -> OutcomeRules:
        return cls.from_mapping(load_fixture("outcomes.yaml"))

    @classmethod
    def from_file(cls, path: str | Path) -> OutcomeRules:
        """A whole rule set from a YAML file, exactly as written (see `from_mapping`)."""
        return _in_file(path, cls.from_mapping)

    def extended(self, data: Mapping[str, Any]) -> OutcomeRules:
        """A user's rules added to these: theirs are tried first, their `default` (if any) replaces
        this one. With `replace: true` their rules are the only ones; the default still falls through.
        """
        default, rules, replaces = _parse(data)
        kept = () if replaces else self.rules
        return OutcomeRules((*rules, *kept), default or self.default)

    def extended_from_file(self, path: str | Path) -> OutcomeRules:
        """`extended` with a user's YAML rule file."""
        return _in_file(path, self.extended)

    def decide(self, number: str, dialect: str, account: str, text: str | None = None) -> Decision:
        digits = normalise_number(number)
        for rule in self._for_number.get(digits, self._general):
            groups = rule.matches(digits, dialect, account, text)
            if groups is not None:
                outcome = rule.fixed or _outcome(rule, groups)
                return Decision(outcome, rule.ported_to, rule.roaming_in)
        raise AssertionError("the default rule matches every number")

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {
                "name": rule.name,
                "to": None if rule.pattern is None else rule.pattern.pattern,
                "text": None if rule.text is None else rule.text.pattern,
                "dialect": rule.dialect,
                "account": rule.account,
                "status": rule.status,
                "error": rule.error,
                "after": rule.after,
                "queued": rule.queued,
                "code": rule.code,
            }
            for rule in (*self.rules, self.default)
        ]


def _parse(data: Any) -> tuple[Rule | None, list[Rule], bool]:
    """The default (None when not given), the rules and the `replace` flag of a rule mapping."""
    if not isinstance(data, Mapping):
        raise RuleError("an outcome rule file is a mapping with `default`, `rules` and `replace`")
    unknown = set(data) - set(RULE_FILE_KEYS)
    if unknown:
        raise RuleError(
            f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"a rule file has {', '.join(RULE_FILE_KEYS)}"
        )
    replaces = data.get("replace", False)
    if not isinstance(replaces, bool):
        raise RuleError(f"`replace` must be true or false, not {replaces!r}")
    given = data.get("default")
    if given is not None and not isinstance(given, Mapping):
        raise RuleError("`default` must be a mapping, e.g. {status: DELIVERED_TO_HANDSET}")
    default = None if given is None else _rule({"name": "default", **given}, "default", needs_pattern=False)
    entries = data.get("rules") or []
    if not isinstance(entries, list):
        raise RuleError("`rules` must be a list")
    rules = [_rule(entry, f"rules[{index}]", needs_pattern=True) for index, entry in enumerate(entries)]
    return default, rules, replaces


def _in_file(path: str | Path, load: Callable[[Any], OutcomeRules]) -> OutcomeRules:
    """`load` applied to a YAML file's content, every problem named with the file."""
    import yaml  # for its error type; only a rule file of the user's needs it

    try:
        with Path(path).open(encoding="utf-8") as handle:
            data = parse_yaml(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise RuleError(f"{path}: {exc}") from exc
    try:
        return load(data)
    except RuleError as exc:
        raise RuleError(f"{path}: {exc}") from exc


def normalise_number(number: str) -> str:
    """Digits as the rules see them: no leading + or 00, no spaces or dashes."""
    digits = number.strip().replace(" ", "").replace("-", "")
    if digits.startswith("+"):
        return digits[1:]
    if digits.startswith("00"):
        return digits[2:]
    return digits


NATIONAL_NUMBER_STATUS = "REJECTED_PREFIX_MISSING"
"""A national number (leading 0) lacks its country prefix: Statuses id 8, "Number prefix missing"
(errata shortlink-national-number-status)."""


def invalid_destination_status(number: str) -> str:
    """The status of a destination a dialect cannot send to: the reply, the store and the rules agree."""
    if re.fullmatch(r"0[0-9]*", normalise_number(number)):
        return NATIONAL_NUMBER_STATUS
    return "REJECTED_DESTINATION"


def _rule(entry: Any, where: str, *, needs_pattern: bool) -> Rule:
    if not isinstance(entry, Mapping):
        raise RuleError(f"{where}: a rule is a mapping")
    unknown = set(entry) - _RULE_FIELDS
    if unknown:
        raise RuleError(
            f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
            f"a rule has {', '.join(sorted(_RULE_FIELDS))}"
        )
    pattern = None
    if entry.get("to") is not None:
        try:
            pattern = re.compile(str(entry["to"]))
        except re.error as exc:
            raise RuleError(f"{where}: `to` is not a regular expression: {exc}") from exc
    elif needs_pattern and all(entry.get(name) is None for name in ("dialect", "account", "text")):
        raise RuleError(f"{where}: a rule needs `to`, `text`, `dialect` or `account`")
    text = None
    if entry.get("text") is not None:
        try:
            text = re.compile(str(entry["text"]))
        except re.error as exc:
            raise RuleError(f"{where}: `text` is not a regular expression: {exc}") from exc
    if "status" not in entry:
        raise RuleError(f"{where}: `status` is required")
    after, queued = _seconds(entry, "after", DEFAULT_AFTER, where), _seconds(entry, "queued", 0.0, where)
    code = entry.get("code")
    if code is not None:
        if isinstance(code, bool) or not isinstance(code, int):
            raise RuleError(f"{where}: `code` must be a whole number, one of the dialect's own codes")
        if entry.get("dialect") is None:
            raise RuleError(f"{where}: a rule with `code` needs `dialect`: codes differ between dialects")
    rule = Rule(
        name=str(entry.get("name") or where),
        pattern=pattern,
        status=str(entry["status"]),
        error=str(entry.get("error", NO_ERROR)),
        after=after,
        text=text,
        code=code,
        queued=queued,
        dialect=entry.get("dialect"),
        account=entry.get("account"),
        ported_to=None if entry.get("ported_to") is None else str(entry["ported_to"]),
        roaming_in=None if entry.get("roaming_in") is None else str(entry["roaming_in"]),
        literal=pattern.pattern if pattern is not None and pattern.pattern.isdigit() else None,
    )
    for field_name in ("status", "error"):
        try:
            groups = [name for _, name, _, _ in string.Formatter().parse(getattr(rule, field_name)) if name]
        except ValueError as exc:
            raise RuleError(f"{where}: `{field_name}` is not a valid template: {exc}") from exc
        known = set() if pattern is None else set(pattern.groupindex)
        missing = [name for name in groups if name not in known]
        if missing:
            raise RuleError(
                f"{where}: `{field_name}` names {', '.join(missing)}, which `to` has no named group for"
            )
    # A fixed name or id must be in the tables; only a templated one may miss at match time (see _outcome).
    words = vocabulary()
    for field_name, lookup in (("status", words.status), ("error", words.error)):
        key = getattr(rule, field_name)
        if "{" not in key:
            try:
                lookup(key)
            except KeyError as exc:
                raise RuleError(f"{where}: {exc.args[0]}") from exc
    if code is not None and "{" not in rule.status and words.status(rule.status).group_name != "REJECTED":
        raise RuleError(
            f"{where}: a rule with `code` refuses the message, so its status must be a REJECTED one"
        )
    if "{" not in rule.status + rule.error:
        rule = replace(rule, fixed=_outcome(rule, {}))
    return rule


def _seconds(entry: Mapping[str, Any], name: str, default: float, where: str) -> float:
    try:
        value = float(entry.get(name, default))
    except (TypeError, ValueError) as exc:
        raise RuleError(f"{where}: `{name}` must be a number of seconds") from exc
    if not math.isfinite(value) or value < 0:
        raise RuleError(f"{where}: `{name}` must be a number of seconds, not negative")
    return value


def _outcome(rule: Rule, groups: Mapping[str, str | None]) -> Outcome:
    words = vocabulary()
    status_key = rule.status.format_map(groups)
    error_key = rule.error.format_map(groups)
    try:
        status = words.status(status_key)
    except KeyError:
        # A number the pattern admits but the table lacks (status 99) stays pending: a client never
        # sees an id the document does not define, and the control API names the rule that matched.
        status = words.status("PENDING_WAITING_DELIVERY")
    try:
        error = words.error(error_key)
    except KeyError:
        error = words.error("EC_UNKNOWN_ERROR")
    return Outcome(status, error, rule.after, rule.name, rule.code, rule.queued)
