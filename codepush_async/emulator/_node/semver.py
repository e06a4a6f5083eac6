"""The slice of node-semver 7 the official server relies on: valid, validRange, satisfies.

The server validates ``appVersion`` with ``semver.validRange`` and decides whether a release is
"identical" by comparing normalised ranges or testing ``satisfies``; the grammar and the
desugaring rules (``~``, ``^``, x-ranges, hyphen ranges, ``||``) follow node-semver's documented
behaviour so that the emulator accepts and rejects the same strings.

Why not the PyPI ``node-semver`` port (0.9.1): it follows node-semver 5, and the server
pins semver ^7.5.3. On the 25 normalisation vectors of tests/emulator/test_emu_hash_semver.py
it differs on 16 (``^1.2.3`` gives ``>=1.2.3 <2.0.0``, not 7's ``<2.0.0-0``; ``=1.2.3`` stays
``=1.2.3``; ``>=0.0.0`` is not ``*``; ``1.0.0 ||`` is not ``*``), ``valid(" v1.2.3 ")`` is
``None`` instead of ``"1.2.3"``, and ``satisfies`` raises on an invalid version instead of
answering false. The server's identical-release rule compares these normalised strings, so
with the port the emulator would refuse and accept other releases than the server does.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .coercion import JS_WHITESPACE, js_trim

_MAX_LENGTH = 256
_MAX_SAFE_INTEGER = 2**53 - 1

_NUM = r"0|[1-9]\d*"
_NUM_LOOSE = r"\d+"
_NONNUM = r"\d*[a-zA-Z-][a-zA-Z0-9-]*"
_PREID = rf"(?:{_NUM}|{_NONNUM})"
_PREID_LOOSE = rf"(?:{_NUM_LOOSE}|{_NONNUM})"
_PRERELEASE = rf"(?:-({_PREID}(?:\.{_PREID})*))"
_PRERELEASE_LOOSE = rf"(?:-?({_PREID_LOOSE}(?:\.{_PREID_LOOSE})*))"
_BUILDID = r"[0-9A-Za-z-]+"
_BUILD = rf"(?:\+({_BUILDID}(?:\.{_BUILDID})*))"
_MAIN = rf"({_NUM})\.({_NUM})\.({_NUM})"
_MAIN_LOOSE = rf"({_NUM_LOOSE})\.({_NUM_LOOSE})\.({_NUM_LOOSE})"
_FULLPLAIN = rf"v?{_MAIN}{_PRERELEASE}?{_BUILD}?"
_LOOSEPLAIN = rf"[v=\s]*{_MAIN_LOOSE}{_PRERELEASE_LOOSE}?{_BUILD}?"
_GTLT = r"((?:<|>)?=?)"
_XID = rf"{_NUM}|x|X|\*"
_XRANGEPLAIN = rf"[v=\s]*({_XID})(?:\.({_XID})(?:\.({_XID})(?:{_PRERELEASE})?{_BUILD}?)?)?"

_JS_WHITESPACE = JS_WHITESPACE
_JS_SPACE_SET = "".join(f"\\u{ord(c):04x}" for c in JS_WHITESPACE)
_CLASS_OR_ESCAPE = re.compile(r"\[(?:\\.|[^\]\\])*\]|\\.", re.DOTALL)
_ESCAPE = re.compile(r"\\.", re.DOTALL)


def _js_space(token: re.Match[str]) -> str:
    """One character class or escape of a pattern, its ``\\s`` spelled as JS whitespace."""
    text = token.group()
    if text.startswith("["):
        return _ESCAPE.sub(lambda e: _JS_SPACE_SET if e.group() == r"\s" else e.group(), text)
    return f"[{_JS_SPACE_SET}]" if text == r"\s" else text


def _js_re(pattern: str) -> re.Pattern[str]:
    """Compile a node-semver pattern as JavaScript reads it (``\\s`` JS's, ``\\d`` ASCII)."""
    return re.compile(_CLASS_OR_ESCAPE.sub(_js_space, pattern), re.ASCII)


_trim = js_trim


_FULL_RE = _js_re(rf"^{_FULLPLAIN}$")
_BUILD_RE = _js_re(_BUILD)
_XRANGE_RE = _js_re(rf"^{_GTLT}\s*{_XRANGEPLAIN}$")
_TILDE_RE = _js_re(rf"^(?:~>?){_XRANGEPLAIN}$")
_CARET_RE = _js_re(rf"^(?:\^){_XRANGEPLAIN}$")
_TILDE_TRIM_RE = _js_re(r"(\s*)(?:~>?)\s+")
_CARET_TRIM_RE = _js_re(r"(\s*)(?:\^)\s+")
_COMPARATOR_TRIM_RE = _js_re(rf"(\s*){_GTLT}\s*({_LOOSEPLAIN}|{_XRANGEPLAIN})")
_HYPHEN_RE = _js_re(rf"^\s*({_XRANGEPLAIN})\s+-\s+({_XRANGEPLAIN})\s*$")
_STAR_RE = _js_re(r"(<|>)?=?\s*\*")
_GTE0_RE = _js_re(r"^\s*>=\s*0\.0\.0\s*$")
_COMPARATOR_RE = _js_re(rf"^{_GTLT}\s*({_FULLPLAIN})$|^$")
_WS_RE = _js_re(r"\s+")
_DIGITS_RE = _js_re(r"^[0-9]+$")

PreId = int | str


class InvalidSemver(ValueError):
    """Raised for a version or range node-semver would reject."""


@dataclass(frozen=True)
class SemVer:
    """A parsed strict semantic version (build metadata dropped, as node-semver does)."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[PreId, ...] = ()

    @property
    def version(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            base += "-" + ".".join(str(p) for p in self.prerelease)
        return base


def parse_version(text: object) -> SemVer:
    """Parse a strict version (leading ``v`` allowed, whitespace trimmed) or raise."""
    if not isinstance(text, str):
        raise InvalidSemver("not a string")
    if len(text) > _MAX_LENGTH:
        raise InvalidSemver("version is too long")
    m = _FULL_RE.match(_trim(text))
    if not m:
        raise InvalidSemver(f"Invalid Version: {text}")
    nums = [int(m.group(i)) for i in (1, 2, 3)]
    if any(n > _MAX_SAFE_INTEGER for n in nums):
        raise InvalidSemver("version component too large")
    pre: tuple[PreId, ...] = ()
    if m.group(4):
        pre = tuple(
            int(p) if _DIGITS_RE.match(p) and int(p) <= _MAX_SAFE_INTEGER else p
            for p in m.group(4).split(".")
        )
    return SemVer(nums[0], nums[1], nums[2], pre)


def valid(text: object) -> str | None:
    """``semver.valid``: the normalised version, or None when ``text`` is not a version."""
    try:
        return parse_version(text).version
    except InvalidSemver:
        return None


def _compare_ids(a: PreId, b: PreId) -> int:
    if isinstance(a, int) and isinstance(b, int):
        return (a > b) - (a < b)
    if isinstance(a, int):
        return -1
    if isinstance(b, int):
        return 1
    sa, sb = str(a), str(b)
    return (sa > sb) - (sa < sb)


def compare(a: SemVer, b: SemVer) -> int:
    """Order two versions by semver precedence (-1, 0, 1)."""
    main_a, main_b = (a.major, a.minor, a.patch), (b.major, b.minor, b.patch)
    if main_a != main_b:
        return -1 if main_a < main_b else 1
    if a.prerelease and not b.prerelease:
        return -1
    if not a.prerelease and b.prerelease:
        return 1
    for x, y in zip(a.prerelease, b.prerelease, strict=False):
        c = _compare_ids(x, y)
        if c:
            return c
    return (len(a.prerelease) > len(b.prerelease)) - (len(a.prerelease) < len(b.prerelease))


@dataclass(frozen=True)
class _Comparator:
    operator: str  # "", "<", ">", "<=", ">="
    semver: SemVer | None  # None means ANY

    @property
    def value(self) -> str:
        return "" if self.semver is None else self.operator + self.semver.version

    def test(self, version: SemVer) -> bool:
        if self.semver is None:
            return True
        c = compare(version, self.semver)
        return {
            "": c == 0,
            "<": c < 0,
            ">": c > 0,
            "<=": c <= 0,
            ">=": c >= 0,
        }[self.operator]


def _parse_comparator(comp: str) -> _Comparator:
    m = _COMPARATOR_RE.match(comp)
    if not m:
        raise InvalidSemver(f"Invalid comparator: {comp}")
    operator = m.group(1) or ""
    if operator == "=":
        operator = ""
    if not m.group(2):
        return _Comparator("", None)
    return _Comparator(operator, parse_version(m.group(2)))


def _is_x(part: str | None) -> bool:
    return not part or part.lower() == "x" or part == "*"


def _replace_caret(comp: str) -> str:
    m = _CARET_RE.match(comp)
    if not m:
        return comp
    major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
    if _is_x(major):
        return ""
    if _is_x(minor):
        return f">={major}.0.0 <{int(major) + 1}.0.0-0"
    if _is_x(patch):
        if major == "0":
            return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
        return f">={major}.{minor}.0 <{int(major) + 1}.0.0-0"
    low = f">={major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
    if major == "0":
        if minor == "0":
            return f"{low} <{major}.{minor}.{int(patch) + 1}-0"
        return f"{low} <{major}.{int(minor) + 1}.0-0"
    return f"{low} <{int(major) + 1}.0.0-0"


def _replace_tilde(comp: str) -> str:
    m = _TILDE_RE.match(comp)
    if not m:
        return comp
    major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
    if _is_x(major):
        return ""
    if _is_x(minor):
        return f">={major}.0.0 <{int(major) + 1}.0.0-0"
    if _is_x(patch):
        return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
    low = f">={major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
    return f"{low} <{major}.{int(minor) + 1}.0-0"


def _replace_xrange(comp: str) -> str:
    comp = _trim(comp)
    m = _XRANGE_RE.match(comp)
    if not m:
        return comp
    gtlt, major, minor, patch = m.group(1), m.group(2), m.group(3), m.group(4)
    x_major = _is_x(major)
    x_minor = x_major or _is_x(minor)
    x_patch = x_minor or _is_x(patch)
    if gtlt == "=" and x_patch:
        gtlt = ""
    if x_major:
        return "<0.0.0-0" if gtlt in (">", "<") else "*"
    if gtlt and x_patch:
        maj, mnr, pat = int(major), (0 if x_minor else int(minor)), 0
        pre = ""
        if gtlt == ">":
            gtlt = ">="
            if x_minor:
                maj, mnr = maj + 1, 0
            else:
                mnr += 1
        elif gtlt == "<=":
            gtlt = "<"
            if x_minor:
                maj += 1
            else:
                mnr += 1
        if gtlt == "<":
            pre = "-0"
        return f"{gtlt}{maj}.{mnr}.{pat}{pre}"
    if x_minor:
        return f">={major}.0.0 <{int(major) + 1}.0.0-0"
    if x_patch:
        return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
    return comp


def _hyphen_replace(m: re.Match[str]) -> str:
    frm, f_major, f_minor, f_patch = m.group(1), m.group(2), m.group(3), m.group(4)
    to, t_major, t_minor, t_patch, t_pre = (
        m.group(7),
        m.group(8),
        m.group(9),
        m.group(10),
        m.group(11),
    )
    if _is_x(f_major):
        low = ""
    elif _is_x(f_minor):
        low = f">={f_major}.0.0"
    elif _is_x(f_patch):
        low = f">={f_major}.{f_minor}.0"
    else:
        low = f">={frm}"
    if _is_x(t_major):
        high = ""
    elif _is_x(t_minor):
        high = f"<{int(t_major) + 1}.0.0-0"
    elif _is_x(t_patch):
        high = f"<{t_major}.{int(t_minor) + 1}.0-0"
    elif t_pre:
        high = f"<={t_major}.{t_minor}.{t_patch}-{t_pre}"
    else:
        high = f"<={to}"
    return _trim(f"{low} {high}")


def _parse_set(text: str) -> list[_Comparator]:
    text = _HYPHEN_RE.sub(_hyphen_replace, text)
    text = _COMPARATOR_TRIM_RE.sub(lambda m: m.group(1) + m.group(2) + m.group(3), text)
    text = _TILDE_TRIM_RE.sub(lambda m: m.group(1) + "~", text)
    text = _CARET_TRIM_RE.sub(lambda m: m.group(1) + "^", text)
    parsed: list[str] = []
    for token in text.split(" "):
        comp = _BUILD_RE.sub("", token, count=1)
        comp = " ".join(_replace_caret(c) for c in _WS_RE.split(_trim(comp)))
        comp = " ".join(_replace_tilde(c) for c in _WS_RE.split(_trim(comp)))
        comp = " ".join(_replace_xrange(c) for c in _WS_RE.split(comp))
        comp = _STAR_RE.sub("", _trim(comp), count=1)
        parsed.append(comp)
    tokens = [_GTE0_RE.sub("", _trim(t)) for t in _WS_RE.split(" ".join(parsed))]
    comparators = [_parse_comparator(t) for t in tokens]
    by_value: dict[str, _Comparator] = {}
    for c in comparators:
        if c.value == "<0.0.0-0":
            return [c]
        by_value[c.value] = c
    if len(by_value) > 1 and "" in by_value:
        del by_value[""]
    return list(by_value.values())


@dataclass(frozen=True)
class Range:
    """A parsed node-semver range: alternatives (``||``) of comparator sets."""

    sets: tuple[tuple[_Comparator, ...], ...]

    @property
    def normalized(self) -> str:
        """node-semver's ``Range.range`` string (``*`` when it would be empty)."""
        text = "||".join(_trim(" ".join(c.value for c in s)) for s in self.sets)
        return text or "*"

    def test(self, version: SemVer) -> bool:
        return any(_test_set(s, version) for s in self.sets)


def _test_set(comparators: tuple[_Comparator, ...], version: SemVer) -> bool:
    if not all(c.test(version) for c in comparators):
        return False
    if version.prerelease:
        for c in comparators:
            if c.semver is not None and c.semver.prerelease:
                allowed = c.semver
                if (allowed.major, allowed.minor, allowed.patch) == (
                    version.major,
                    version.minor,
                    version.patch,
                ):
                    return True
        return False
    return True


def parse_range(text: object) -> Range:
    """Parse a range string the way ``new semver.Range(text)`` does, or raise."""
    if not isinstance(text, str):
        raise InvalidSemver("not a string")
    return _cached_range(text) if len(text) <= _MAX_LENGTH else _parse_range_text(text)


@functools.lru_cache(maxsize=1024)
def _cached_range(text: str) -> Range:
    """Short ranges are parsed once (every update check tests the history's ranges)."""
    return _parse_range_text(text)


def _parse_range_text(text: str) -> Range:
    raw = _WS_RE.sub(" ", _trim(text))
    sets = [_parse_set(_trim(part)) for part in raw.split("||")]
    sets = [s for s in sets if s]
    if not sets:
        raise InvalidSemver(f"Invalid SemVer Range: {raw}")
    if len(sets) > 1:
        first = sets[0]
        sets = [s for s in sets if s[0].value != "<0.0.0-0"]
        if not sets:
            sets = [first]
        elif len(sets) > 1:
            for s in sets:
                if len(s) == 1 and s[0].value == "":
                    sets = [s]
                    break
    return Range(tuple(tuple(s) for s in sets))


def valid_range(text: object) -> str | None:
    """``semver.validRange``: the normalised range, or None when ``text`` is not a range."""
    try:
        return parse_range(text).normalized
    except (InvalidSemver, ValueError):
        return None


def satisfies(version: object, range_text: object) -> bool:
    """``semver.satisfies``: False for anything unparsable, never an exception."""
    try:
        rng = parse_range(range_text)
        ver = parse_version(version)
    except (InvalidSemver, ValueError):
        return False
    return rng.test(ver)


_ANY_AS_BOUND = _Comparator(">=", SemVer(0, 0, 0))


def _bound(comparator: _Comparator) -> SemVer:
    return comparator.semver or SemVer(0, 0, 0)


def _edges(comparators: tuple[_Comparator, ...]) -> tuple[_Comparator, _Comparator]:
    """The highest and lowest comparator of a set, as ``outside`` picks them (ANY reads as
    ``>=0.0.0``; ties keep the first)."""
    bounded = [c if c.semver is not None else _ANY_AS_BOUND for c in comparators]
    high = low = bounded[0]
    for comparator in bounded:
        if compare(_bound(comparator), _bound(high)) > 0:
            high = comparator
        elif compare(_bound(comparator), _bound(low)) < 0:
            low = comparator
    return high, low


def gtr(version: object, range_text: object) -> bool:
    """``semver.gtr``: whether ``version`` is above every version the range allows (node-semver's
    ``outside(version, range, ">")``); raises ``InvalidSemver`` where node-semver throws."""
    ver = parse_version(version)
    rng = parse_range(range_text)
    if rng.test(ver):
        return False
    for comparators in rng.sets:
        high, low = _edges(comparators)
        if high.operator in (">", ">="):
            return False
        if low.operator in ("", ">") and compare(ver, _bound(low)) <= 0:
            return False
        if low.operator == ">=" and compare(ver, _bound(low)) < 0:
            return False
    return True
