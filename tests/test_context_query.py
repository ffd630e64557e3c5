"""Parsing search queries: identifiers, paths, weights and the noise in commit messages."""

from __future__ import annotations

import re

from assistant.context.priors import PriorWeights, file_kind, highest_prior, prior
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


def test_who_and_where_trailers_of_older_histories_are_dropped():
    # Subversion-era and Gerrit messages end in who reviewed and where the commit came from;
    # `git-svn-id: svn://.../trunk@43180` once ranked a module about SVN revisions first.
    query = parse_query(
        "Merging trial-api-7701: Stop re-exposing private APIs\n\n"
        "Author: adiroiban\nReviewers: glyph\n* Reviewer: exarkun\n"
        "git-svn-id: svn://svn.example.com/svn/Proj/trunk@43180 bbbe8e31\nChange-Id: I8a9f"
    )
    weights = query.term_weights
    assert {"trial", "exposing", "private", "apis"} <= set(weights)
    assert not {"adiroiban", "glyph", "exarkun", "svn", "trunk", "reviewers", "i8a9f"} & set(
        weights
    )


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
    assert file_kind("karma.conf.cjs") == "auxiliary"  # tooling configuration
    assert file_kind("webpack.config.mjs") == "auxiliary"
    assert file_kind("lib/config.js") == "source"
    assert prior("src/pkg/core.py", 100) > 2 * prior("tests/test_core.py", 100)


def test_token_estimate_grows_with_text_and_counts_lines():
    assert estimate_tokens("") == 0
    assert estimate_tokens("x = 1") >= 1
    assert estimate_tokens("a\n" * 50) >= 50
    assert estimate_tokens("word " * 400) > estimate_tokens("word " * 100)


def test_schema_migrations_and_protobuf_output_are_generated():
    # A change adds a migration; the old ones stay as the tool wrote them.
    assert file_kind("shop/order/migrations/0155_order_should_refresh.py") == "generated"
    assert file_kind("shop/checkout/migrations/fix_empty_lines.py") == "generated"
    assert file_kind("db/alembic/versions/3f2a_add_users.py") == "generated"
    assert file_kind("api/v1/service.pb.go") == "generated"
    assert file_kind("shop/order/migrations/__init__.py") == "source"
    assert file_kind("shop/order/migrate.py") == "source"
    assert prior("shop/order/models.py", 100) > 2 * prior("shop/order/migrations/0001_a.py", 100)


def test_highest_prior_bounds_every_file_whatever_the_weights():
    """Search skips the files that even the highest prior could not lift into the top: the
    bound must hold for every kind and size, with weights above 1 and a negative size weight."""
    paths = ["pkg/core.py", "tests/test_core.py", "docs/conf.py", "vendor/x.js", "README.md",
             "app/migrations/0001_initial.py", "web/vite.config.ts"]  # fmt: skip
    for weights in (
        PriorWeights(),
        PriorWeights(test=3.0, size=0.5),
        PriorWeights(not_code=1.5, size=-0.1),
        PriorWeights(generated=0.0, size=0.0),
    ):
        for most in (0, 1, 40, 10_000):
            ceiling = highest_prior(most, weights)
            assert all(
                prior(path, n, weights) <= ceiling for path in paths for n in (0, most // 2, most)
            )


def test_a_file_kind_found_behind_substring_tests_is_the_one_the_patterns_alone_give():
    """Each pattern is searched only in paths holding a substring it needs: on paths made of
    every word the patterns name (and near misses), the kinds are the searches' alone."""
    import random

    from assistant.context import priors

    def searched_alone(path: str) -> str:
        for kind, pattern, _ in priors._SEARCHED:
            if pattern.search(path):
                return kind
        return "source" if priors._CODE.search(path) else "not_code"

    # the patterns' literal runs (escaped dots and slashes kept), and some near misses
    sources = "|".join(pattern.pattern for _, pattern, _ in priors._SEARCHED)
    words = [w.replace("\\.", ".") for w in re.findall(r"(?:\\\.|[A-Za-z_0-9/-])+", sources)]
    words += ["src", "app", "Test", "tests", "_test", "Tests", "x", "v1", "a.b", "", "-", "_"]
    ends = [".py", ".js", ".min.js", ".rb", ".ts", ".md", "", ".pyi", ".go", ".dart", ".mjs"]
    rng = random.Random(18)
    found = set()
    for _ in range(40_000):
        path = rng.choice(words)
        for _ in range(rng.randint(0, 4)):
            path += rng.choice(["/", "/", ".", "_", "-", ""]) + rng.choice(words)
        path += rng.choice(ends)
        kind = priors.file_kind.__wrapped__(path)
        assert kind == searched_alone(path), path
        found.add(kind)
    assert found == set(priors.KINDS)
