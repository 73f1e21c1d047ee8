"""Answer normalisation and automatic marking, shared by the daily question and the weekly test.

Canonical forms (what is stored for a given answer and for an answer key):
- single:     ["B"]                     (key and given alike)
- multiple:   ["A", "C", "D"]           (sorted, no repeats)
- true_false: ["T"] or ["F"]
- fill:       given: one string per blank, ["党的领导", "人民"];
              key:   one list of accepted alternatives per blank, [["党的领导"], ["人民", "群众"]]
An empty list is an unanswered question; it marks 0.
"""

import re
import unicodedata

from portal.core.exceptions import ValidationError
from portal.core.text import clean as clean_text
from portal.study.models.questions import OPTION_LETTERS, QuestionKind

PARTIAL_LABELS = {
    "none": "全部选对才得分，少选、多选或错选均不得分",
    "half": "全部选对得满分；少选且没有错选得一半分；有错选不得分",
    "proportional": "按选对的正确选项所占比例得分；有任何错选不得分",
}

TRUE_WORDS = {"T", "TRUE", "对", "正确", "√", "✓", "✔", "是", "Y", "YES"}
FALSE_WORDS = {"F", "FALSE", "错", "错误", "×", "✗", "✘", "X", "否", "N", "NO"}

MAX_BLANK_LENGTH = 200
# A weekly test is scored out of 100 (the pass mark and the credit rule say so); each question's
# points on the paper are its share of that, so what the paper shows adds up to what it says.
FULL_MARKS = 100
_TENTHS = 10
# Separators people put between option letters: "A,C,D", "A、C、D", "A C D", "A；C".
_LETTER_SEPARATORS = re.compile(r"[\s,，、;；/|]+")
# Punctuation a member may add at either end of a blank without meaning anything by it.
_EDGE_PUNCTUATION = "。．.，,；;、：:!！?？\"'“”‘’"


def _kind(kind):
    try:
        return QuestionKind(kind)
    except ValueError:
        raise ValidationError(f"未知的题型：{kind}") from None


def _option_count(options):
    if options is None:
        return len(OPTION_LETTERS)
    return options if isinstance(options, int) else len(options)


def _letters(raw):
    """Split raw input ("ACD", "A,C,D", ["a", "c"]) into upper-case single characters."""
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    letters = []
    for item in items:
        text = unicodedata.normalize("NFKC", str(item)).strip().upper()
        for part in _LETTER_SEPARATORS.split(text):
            letters.extend(part)
    return letters


def _choice(kind, raw, options):
    letters = _letters(raw)
    offered = OPTION_LETTERS[:_option_count(options)]
    for letter in letters:
        if letter not in offered:
            if letter in OPTION_LETTERS:
                raise ValidationError(f"选项 {letter} 不在本题的选项中（本题选项为 {'、'.join(offered)}）")
            raise ValidationError(f"“{letter}”不是有效的选项字母，应为 {'、'.join(offered)} 之一")
    chosen = sorted(set(letters))
    if kind == QuestionKind.SINGLE and len(chosen) > 1:
        raise ValidationError("单选题只能有一个答案")
    return chosen


def _true_false(raw):
    if raw is None or raw == "" or raw == []:
        return []
    if isinstance(raw, bool):
        return ["T" if raw else "F"]
    items = [raw] if isinstance(raw, str) else list(raw)
    if len(items) != 1:
        raise ValidationError("判断题只能有一个答案")
    word = unicodedata.normalize("NFKC", str(items[0])).strip().upper()
    if word in TRUE_WORDS:
        return ["T"]
    if word in FALSE_WORDS:
        return ["F"]
    if not word:
        return []
    raise ValidationError(f"判断题的答案应为“对”或“错”，而不是“{items[0]}”")


def _blanks(raw, blanks):
    if raw is None:
        items = []
    elif isinstance(raw, str):
        items = [raw]
    else:
        items = list(raw)
    values = []
    for item in items:
        if item is not None and not isinstance(item, str | int | float):
            raise ValidationError("填空题的答案格式不正确")
        value = "" if item is None else clean_text(str(item))
        if len(value) > MAX_BLANK_LENGTH:
            raise ValidationError(f"每个空的答案不能超过 {MAX_BLANK_LENGTH} 个字")
        values.append(value)
    if not any(values):
        return []
    if blanks is not None:
        if len(values) > blanks:
            raise ValidationError(f"本题只有 {blanks} 个空，提交了 {len(values)} 个答案")
        values += [""] * (blanks - len(values))
    return values


def normalise(kind, raw, options=None, blanks=None):
    """A submitted answer in its canonical stored form ([] when unanswered).

    `options` is the question's option list (or their number), `blanks` the number of blanks
    of a fill-in question; impossible input raises ValidationError with a Chinese message.
    """
    kind = _kind(kind)
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return _choice(kind, raw, options)
    if kind == QuestionKind.TRUE_FALSE:
        return _true_false(raw)
    return _blanks(raw, blanks)


def normalise_key(kind, raw, options=None):
    """An answer key in canonical form, or ValidationError: it must be complete and consistent."""
    kind = _kind(kind)
    if kind == QuestionKind.FILL:
        return _fill_key(raw)
    key = normalise(kind, raw, options)
    if not key:
        raise ValidationError("请填写正确答案")
    if kind == QuestionKind.MULTIPLE and len(key) < 2:
        raise ValidationError("多选题至少要有两个正确答案（只有一个答案请设为单选题）")
    return key


def _fill_key(raw):
    """[["a", "b"], ["c"]] from that list, from ["a/b", "c"] or from the text "a/b|c"."""
    if isinstance(raw, str):
        raw = raw.split("|") if raw.strip() else []
    blanks = []
    for blank in raw or []:
        alternatives = blank.split("/") if isinstance(blank, str) else list(blank)
        cleaned = []
        for alternative in alternatives:
            answer = clean_text(str(alternative))
            if len(answer) > MAX_BLANK_LENGTH:
                raise ValidationError(f"每个空的答案不能超过 {MAX_BLANK_LENGTH} 个字")
            if answer and answer not in cleaned:
                cleaned.append(answer)
        if not cleaned:
            raise ValidationError(f"第 {len(blanks) + 1} 个空没有填写答案")
        blanks.append(cleaned)
    if not blanks:
        raise ValidationError("请填写每个空的正确答案")
    return blanks


def normalise_text(text):
    """A blank's text as compared: full-width to half-width, no spaces, case-folded, edges trimmed."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"\s+", "", text).casefold()
    return text.strip(_EDGE_PUNCTUATION)


def mark(kind, answer_key, given, partial="none"):
    """The fraction (0..1) of the question's marks that `given` earns against `answer_key`."""
    kind = _kind(kind)
    if partial not in PARTIAL_LABELS:
        raise ValidationError(f"未知的多选题计分方式：{partial}")
    given = list(given or [])
    if not given:
        return 0.0
    if kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE):
        return 1.0 if given == list(answer_key) else 0.0
    if kind == QuestionKind.MULTIPLE:
        return _mark_multiple(set(answer_key), set(given), partial)
    return _mark_fill(answer_key, given)


def _mark_multiple(key, given, partial):
    if given == key:
        return 1.0
    if given - key:
        return 0.0
    if partial == "half":
        return 0.5
    if partial == "proportional":
        return len(given) / len(key)
    return 0.0


def _mark_fill(answer_key, given):
    if not answer_key:
        return 0.0
    right = 0
    for index, alternatives in enumerate(answer_key):
        value = normalise_text(given[index]) if index < len(given) else ""
        if value and value in {normalise_text(a) for a in alternatives}:
            right += 1
    return right / len(answer_key)


def paper_points(weights, full=FULL_MARKS):
    """Each question's points out of `full` (one decimal), in proportion to its weight; they add up to `full`.

    The weights are the points the test's rules give each question (5 for a single choice, say);
    `full` is shared out in tenths by the largest remainder, the earlier question first on a tie,
    so a paper of three equal questions shows 33.4, 33.3 and 33.3.
    """
    total = sum(weights)
    if total <= 0:
        return [0.0 for _ in weights]
    units = full * _TENTHS
    shares = [units * weight // total for weight in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(units * weights[i] % total), i))
    for index in by_remainder[:units - sum(shares)]:
        shares[index] += 1
    return [share / _TENTHS for share in shares]


def earned_points(points, fraction):
    """The points (one decimal) a question worth `points` gives for the `fraction` of it earned.

    Rounded half to even in tenths (half of 33.3 is 16.6), so that a score, the sum of these,
    is what the member can add up on the result page.
    """
    return round(round(points * _TENTHS) * (fraction or 0.0)) / _TENTHS


def is_correct(kind, answer_key, given):
    """True when `given` earns the full marks."""
    return mark(kind, answer_key, given) == 1.0


def answer_text(kind, answer, options=None):
    """An answer (key or given) as a person reads it: "A、C、D", "正确", "第1空：人民（或 群众）"."""
    kind = _kind(kind)
    if not answer:
        return "未作答"
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return "、".join(answer)
    if kind == QuestionKind.TRUE_FALSE:
        return "正确" if answer[0] == "T" else "错误"
    parts = []
    for index, blank in enumerate(answer, start=1):
        if isinstance(blank, list):
            blank = _alternatives_text(blank)
        parts.append(f"第{index}空：{blank or '（空）'}" if len(answer) > 1 else (blank or "（空）"))
    return "；".join(parts)


def _alternatives_text(alternatives):
    if len(alternatives) == 1:
        return alternatives[0]
    return f"{alternatives[0]}（也可答：{'、'.join(alternatives[1:])}）"
