"""Parsing search queries: identifiers, paths, weights and the noise in commit messages."""

from __future__ import annotations

from assistant.context.priors import file_kind, prior
from assistant.context.query import SUBJECT_WEIGHT, parse_query
from assistant.context.tokens import estimate_tokens


def test_backticked_camel_snake_and_dotted_names_are_identifiers():
    query = parse_query("Fix `HTTPError.data` in parse_body, see Link.filename and getUserName")
    assert {"HTTPError", "data", "parse_body", "Link", "filename", "getUserName"} <= set(
        query.identifiers
    )
    assert "see" not in query.identifiers


def test_plain_words_are_words_not_identifiers():
    query = parse_query("Don't compress server sent events")
    assert query.identifiers == ()
    assert {"compress", "server", "sent", "events"} <= set(query.words)


def test_file_names_are_paths_not_identifiers():
    query = parse_query("coverage for `responses.py` and `middleware/wsgi.py`")
    assert query.paths == ("responses.py", "middleware/wsgi.py")
    assert "py" not in query.identifiers


def test_subject_words_weigh_more_than_body_words():
    weights = parse_query("Reject redirects\n\nThe session follows redirects to ftp").term_weights
    assert weights["reject"] == SUBJECT_WEIGHT
    assert weights["session"] == 1.0
    assert weights["redirects"] == SUBJECT_WEIGHT + 1.0


def test_trailers_urls_and_issue_numbers_are_dropped():
    query = parse_query(
        "Fix wrapping (#1234)\n\nSee https://github.com/o/r/pull/9\n"
        "Co-authored-by: Someone <s@example.com>\n---------\nfixes gh-77"
    )
    weights = query.term_weights
    assert "wrapping" in weights
    assert not {"github", "someone", "co", "authored", "1234", "77"} & set(weights)


def test_code_tokens_split_identifiers_and_keep_them_whole():
    weights = parse_query("is_line_short_enough").term_weights
    assert {"is_line_short_enough", "line", "short", "enough"} <= set(weights)


def test_tests_docs_and_vendored_code_weigh_less_than_source():
    assert file_kind("src/pkg/core.py") == "source"
    assert file_kind("tests/test_core.py") == "test"
    assert file_kind("pkg/core_test.go") == "test"
    assert file_kind("web/src/app.spec.ts") == "test"
    assert file_kind("src/pip/_vendor/rich/console.py") == "vendored"
    assert file_kind("docs/conf.py") == "auxiliary"
    assert file_kind("README.md") == "not_code"
    assert prior("src/pkg/core.py", 100) > 2 * prior("tests/test_core.py", 100)


def test_token_estimate_grows_with_text_and_counts_lines():
    assert estimate_tokens("") == 0
    assert estimate_tokens("x = 1") >= 1
    assert estimate_tokens("a\n" * 50) >= 50
    assert estimate_tokens("word " * 400) > estimate_tokens("word " * 100)
