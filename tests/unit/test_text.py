"""Language-aware text helpers: word counts, caps at sentence ends, loop detection."""

from __future__ import annotations

import pytest

from recurrentgpt.text import (
    count_words,
    drop_unfinished_sentence,
    find_loop_start,
    is_looping,
    last_words,
    strip_loop,
    truncate_words,
)

LOOP = "a beacon of light, " * 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("The keeper climbed the tower.", 5),
        ("林海走上楼梯", 6),
        ("Arlo 和 林海 met.", 5),
        ("こんにちは", 5),
        ("一，二。", 2),
    ],
)
def test_count_words_counts_each_cjk_character_as_a_word(text: str, expected: int) -> None:
    assert count_words(text) == expected


def test_truncate_words_keeps_text_within_the_cap_unchanged() -> None:
    text = "  One two three.  "
    assert truncate_words(text, 3) == text
    assert truncate_words(text, 10) == text


def test_truncate_words_cuts_at_the_last_sentence_end_within_the_cap() -> None:
    text = "One two three four. Five six seven. Eight nine ten eleven twelve."
    cut = truncate_words(text, 9)
    assert cut == "One two three four. Five six seven."
    assert count_words(cut) <= 9


def test_truncate_words_cuts_mid_sentence_when_a_sentence_end_would_waste_the_budget() -> None:
    text = "One. two three four five six seven eight nine ten eleven twelve"
    cut = truncate_words(text, 8)
    assert count_words(cut) == 8
    assert cut == "One. two three four five six seven eight"


def test_truncate_words_respects_chinese_sentence_ends() -> None:
    text = "林海走上楼梯。风越来越大。他想起了信。"
    # Full-width punctuation is a token of its own: each sentence here is 7 and 6 words.
    cut = truncate_words(text, 15)
    assert cut == "林海走上楼梯。风越来越大。"
    assert count_words(cut) <= 15


def test_is_looping_detects_a_stuck_model_but_not_normal_prose() -> None:
    assert is_looping(LOOP)
    prose = (
        "Arlo walked along the shore while the wind rose. He thought about the key, "
        "the letter and the light that had to stay lit through the night. The sea was "
        "loud and the harbour lamps went out one by one before he reached the tower."
    )
    assert not is_looping(prose)
    assert not is_looping("a beacon of light, " * 3)


def test_find_loop_start_points_at_the_second_occurrence() -> None:
    text = "Intro sentence here. " + LOOP
    start = find_loop_start(text)
    assert start is not None
    assert text[start:].startswith("a beacon of light")
    assert text[:start].count("beacon") == 1


def test_strip_loop_keeps_whole_sentences_before_the_loop() -> None:
    assert strip_loop("The night was calm. " + LOOP) == "The night was calm."
    assert strip_loop(LOOP) == "a beacon of light,"


def test_strip_loop_leaves_normal_text_alone_apart_from_whitespace() -> None:
    assert strip_loop("  The night was calm.  ") == "The night was calm."


def test_punctuation_alone_is_not_a_word() -> None:
    assert count_words("一，二。") == 2
    assert count_words("Hello, world - ok 42!") == 4


def test_last_words_keeps_the_end_from_a_sentence_start() -> None:
    text = "Arlo woke early. The storm had passed in the night. Mara was already at the lamp."
    assert last_words(text, 100) == text
    end = "…The storm had passed in the night. Mara was already at the lamp."
    assert last_words(text, 13) == end
    assert last_words(text, 6) == "…Mara was already at the lamp."
    assert last_words(text, 3) == "…at the lamp."


def test_drop_unfinished_sentence_cuts_only_a_sentence_that_breaks_off() -> None:
    whole = "Arlo woke early. The storm had passed in the night. Mara was at the lamp."
    assert drop_unfinished_sentence(f"{whole} She knew that every") == whole
    assert drop_unfinished_sentence(whole) == whole
    speech = 'Arlo woke early. "Is it over?" she asked. "It is."'
    assert drop_unfinished_sentence(speech) == speech
    # Whole sentences under half the text: the cut one is kept rather than most of it lost.
    short = "Arlo woke. Then the long grey storm rolled in over the cliffs and the"
    assert drop_unfinished_sentence(short) == short
    assert drop_unfinished_sentence("林海醒了。风暴过去了。她看") == "林海醒了。风暴过去了。"
