"""Answer normalisation and automatic marking for every kind and partial-credit policy."""

import pytest

from portal.core.exceptions import ValidationError
from portal.study.services import marking
from portal.study.services.marking import PARTIAL_LABELS, answer_text, mark, normalise, normalise_key

FOUR = ["甲", "乙", "丙", "丁"]


# --- normalise: submitted answers ---------------------------------------------------------

@pytest.mark.parametrize("raw", ["B", "b", ["B"], " b ", "Ｂ"])
def test_single_choice_forms_normalise_to_one_letter(raw):
    assert normalise("single", raw, FOUR) == ["B"]


def test_single_choice_with_two_letters_is_refused():
    with pytest.raises(ValidationError, match="单选题只能有一个答案"):
        normalise("single", ["A", "C"], FOUR)
    with pytest.raises(ValidationError, match="单选题只能有一个答案"):
        normalise("single", "AC", FOUR)


def test_option_letter_not_offered_is_refused():
    with pytest.raises(ValidationError, match="选项 E 不在本题的选项中"):
        normalise("single", "E", FOUR)
    with pytest.raises(ValidationError, match="选项 F 不在本题的选项中"):
        normalise("multiple", ["A", "F"], 4)


def test_garbage_letter_is_refused():
    with pytest.raises(ValidationError, match="不是有效的选项字母"):
        normalise("multiple", "A<script>", FOUR)


@pytest.mark.parametrize("raw", ["ACD", "A,C,D", "A、C、D", "a，c，d", "D C A", ["D", "A", "C", "A"], "A；C；D"])
def test_multiple_choice_forms_normalise_sorted_and_unique(raw):
    assert normalise("multiple", raw, FOUR) == ["A", "C", "D"]


@pytest.mark.parametrize("raw,expected", [
    ("T", ["T"]), ("F", ["F"]), ("对", ["T"]), ("错", ["F"]), ("正确", ["T"]), ("错误", ["F"]),
    ("√", ["T"]), ("×", ["F"]), (True, ["T"]), (False, ["F"]), (["t"], ["T"]), ("", []),
])
def test_true_false_words(raw, expected):
    assert normalise("true_false", raw) == expected


def test_true_false_nonsense_is_refused():
    with pytest.raises(ValidationError, match="判断题的答案应为"):
        normalise("true_false", "也许")
    with pytest.raises(ValidationError, match="判断题只能有一个答案"):
        normalise("true_false", ["T", "F"])


def test_fill_in_pads_to_the_number_of_blanks_and_refuses_extras():
    assert normalise("fill", ["  人民 ", ""], blanks=2) == ["人民", ""]
    assert normalise("fill", ["人民"], blanks=2) == ["人民", ""]
    assert normalise("fill", "人民", blanks=1) == ["人民"]
    with pytest.raises(ValidationError, match="本题只有 1 个空"):
        normalise("fill", ["a", "b"], blanks=1)
    with pytest.raises(ValidationError, match="不能超过"):
        normalise("fill", ["长" * 201], blanks=1)


def test_empty_answers_are_unanswered():
    assert normalise("single", "", FOUR) == []
    assert normalise("multiple", [], FOUR) == []
    assert normalise("fill", ["", "  "], blanks=2) == []
    assert normalise("true_false", None) == []


def test_unknown_kind_is_refused():
    with pytest.raises(ValidationError, match="未知的题型"):
        normalise("essay", "x")


# --- normalise_key: answer keys -------------------------------------------------------------

def test_key_must_not_be_empty_and_multiple_needs_two():
    with pytest.raises(ValidationError, match="请填写正确答案"):
        normalise_key("single", "", FOUR)
    with pytest.raises(ValidationError, match="多选题至少要有两个正确答案"):
        normalise_key("multiple", "B", FOUR)
    assert normalise_key("multiple", "B、A", FOUR) == ["A", "B"]


def test_fill_key_from_text_lists_and_nested_lists():
    expected = [["党的领导", "党的全面领导"], ["人民"]]
    assert normalise_key("fill", "党的领导/党的全面领导|人民") == expected
    assert normalise_key("fill", ["党的领导/党的全面领导", "人民"]) == expected
    assert normalise_key("fill", expected) == expected
    with pytest.raises(ValidationError, match="第 2 个空没有填写答案"):
        normalise_key("fill", "人民| / ")
    with pytest.raises(ValidationError, match="请填写每个空的正确答案"):
        normalise_key("fill", "")


# --- mark -------------------------------------------------------------------------------------

def test_single_and_true_false_are_exact():
    assert mark("single", ["B"], ["B"]) == 1.0
    assert mark("single", ["B"], ["C"]) == 0.0
    assert mark("single", ["B"], []) == 0.0
    assert mark("true_false", ["F"], ["F"]) == 1.0
    assert mark("true_false", ["F"], ["T"]) == 0.0


@pytest.mark.parametrize("given,none,half,proportional", [
    (["A", "C", "D"], 1.0, 1.0, 1.0),        # all right
    (["A", "C"], 0.0, 0.5, 2 / 3),           # a subset, nothing wrong
    (["D"], 0.0, 0.5, 1 / 3),
    (["A", "B"], 0.0, 0.0, 0.0),             # one wrong option spoils it
    (["A", "B", "C", "D"], 0.0, 0.0, 0.0),   # every option ticked
    ([], 0.0, 0.0, 0.0),                     # unanswered
])
def test_multiple_choice_partial_policies(given, none, half, proportional):
    key = ["A", "C", "D"]
    assert mark("multiple", key, given) == none
    assert mark("multiple", key, given, partial="none") == none
    assert mark("multiple", key, given, partial="half") == half
    assert mark("multiple", key, given, partial="proportional") == pytest.approx(proportional)


def test_unknown_partial_policy_is_refused():
    with pytest.raises(ValidationError, match="计分方式"):
        mark("multiple", ["A", "B"], ["A"], partial="generous")


def test_partial_labels_describe_every_policy_in_chinese():
    assert set(PARTIAL_LABELS) == {"none", "half", "proportional"}
    assert "一半" in PARTIAL_LABELS["half"]
    assert all("错选" in label for label in PARTIAL_LABELS.values())


def test_fill_in_counts_blanks_and_accepts_alternatives():
    key = [["党的领导", "党的全面领导"], ["人民"], ["Safety First"]]
    assert mark("fill", key, ["党的领导", "人民", "safety first"]) == 1.0
    assert mark("fill", key, ["党的全面领导", "群众", "safety first"]) == pytest.approx(2 / 3)
    assert mark("fill", key, ["", "", ""]) == 0.0
    assert mark("fill", key, ["党的领导"]) == pytest.approx(1 / 3)   # fewer values than blanks


@pytest.mark.parametrize("typed", ["ＡＢＣ１２３", " abc 123 ", "Abc123。", "ａｂｃ　１２３"])
def test_fill_in_normalises_width_spaces_case_and_trailing_full_stop(typed):
    assert mark("fill", [["ABC123"]], [typed]) == 1.0


def test_fill_in_does_not_accept_a_different_word():
    assert mark("fill", [["安全第一"]], ["安全第二"]) == 0.0
    assert marking.normalise_text("安全 第一") == "安全第一"


def test_is_correct_means_full_marks_only():
    assert marking.is_correct("multiple", ["A", "B"], ["A", "B"])
    assert not marking.is_correct("multiple", ["A", "B"], ["A"])


def test_answer_text_reads_like_a_person_would_write_it():
    assert answer_text("multiple", ["A", "C"]) == "A、C"
    assert answer_text("true_false", ["T"]) == "正确"
    assert answer_text("true_false", ["F"]) == "错误"
    assert answer_text("fill", [["人民", "群众"]]) == "人民（也可答：群众）"
    assert answer_text("fill", [["a"], ["b"]]) == "第1空：a；第2空：b"
    assert answer_text("fill", ["甲", ""]) == "第1空：甲；第2空：（空）"
    assert answer_text("single", []) == "未作答"
