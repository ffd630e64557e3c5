"""What redaction hides and what it leaves: the secret names and formats the docs promise, key
bodies shown without their BEGIN line, ordinary code left as it is, secrets the editor's
cursor splits, and time linear in the text whatever the text holds."""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.llm.outbound import OutboundRedactor
from assistant.security.secrets import REDACTED, Redactor, redact

ROOT = Path(__file__).resolve().parents[2]


def key_body(seed: str, lines: int, width: int = 64) -> list[str]:
    """Return the base64 lines of a made-up key body (random-looking, like a real one)."""
    raw = b"".join(hashlib.sha512(f"{seed}{i}".encode()).digest() for i in range(lines))
    text = base64.b64encode(raw).decode()
    return [text[i : i + width] for i in range(0, width * lines, width)]


RSA = key_body("rsa", 3)
SSH = key_body("ssh", 2, width=70)
NUMBERED = "\n".join(f"{n:>5}  {line}" for n, line in enumerate(RSA, start=2))

# (text, the secret it holds): the secret is gone and [REDACTED] stands in its place.
POSITIVES = [
    ('ENCRYPTION_KEY = "q8Zr2LmXv7Tn4Wp9Ks3Bd6Hf"', "q8Zr2LmXv7Tn4Wp9Ks3Bd6Hf"),
    ("MASTER_KEY=9f86d081884c7d659a2feaa0c55ad015", "9f86d081884c7d659a2feaa0c55ad015"),
    ('STRIPE_KEY: "Xk29fLq8Rz7VbN3mTw6YpH4c"', "Xk29fLq8Rz7VbN3mTw6YpH4c"),
    ('const masterKey = "uR7xK2pQ9vL4mZ8nT3wB6yF1";', "uR7xK2pQ9vL4mZ8nT3wB6yF1"),
    ('{"encryptionKey": "A1b2C3d4E5f6G7h8I9j0K1l2"}', "A1b2C3d4E5f6G7h8I9j0K1l2"),
    ("session-key: 7fG2kP9qX4mL8zR3vT6wY1nB", "7fG2kP9qX4mL8zR3vT6wY1nB"),
    ("X-Api-Key: 3f9a7c2e8b1d4f6a0c5e9b2d7a4f1c8e", "3f9a7c2e8b1d4f6a0c5e9b2d7a4f1c8e"),
    ("api-key: Zq7Xp2Lm9Rv4Tk8Wn3Bc6Hy1", "Zq7Xp2Lm9Rv4Tk8Wn3Bc6Hy1"),
    ('curl -H "X-API-KEY: d41d8cd98f00b204e9800998ecf8427e" https://api.example.com',
     "d41d8cd98f00b204e9800998ecf8427e"),
    ("DB_PASS=s3cr3t-P4ss", "s3cr3t-P4ss"),
    ('SMTP_PASS = "Tr0ub4dor&3"', "Tr0ub4dor&3"),
    ('DB_PASS: "postgres"', "postgres"),
    ("PRIVATE_KEY_PASS=Sup3r-secret", "Sup3r-secret"),
    ("MYSQL_PWD=hunter2hunter2", "hunter2hunter2"),
    ('db_pwd: "c0rrect-h0rse"', "c0rrect-h0rse"),
    ("Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea167a5a36dedd4bea2543"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
    ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ('headers = {"Authorization": "Bearer A1b2C3d4E5f6G7h8I9j0"}', "A1b2C3d4E5f6G7h8I9j0"),
    ("curl -H 'Authorization: Bearer Zx81kQ0pLm3Rt7Yv' https://x", "Zx81kQ0pLm3Rt7Yv"),
    ('-H "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"',
     "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"),
    ("auth = 'Bearer Yq4Rz8Lm2Xv6Tn0W1234'", "Yq4Rz8Lm2Xv6Tn0W1234"),
    ("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1"
     "OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net",
     "Eby8vdM02xNOcqFl"),
    ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
     "SharedAccessKey=Ab3dEf6hIj9lMn2pQr5tUv8xYz1BcDeFgHiJkLmNoPq=", "Ab3dEf6hIj9lMn2pQr5t"),
    ("<password>hunter2hunter2</password>", "hunter2hunter2"),
    ("<secret>Zq7Xp2Lm9Rv4Tk8W</secret>", "Zq7Xp2Lm9Rv4Tk8W"),
    ("  <token>ab12CD34ef56GH78</token>", "ab12CD34ef56GH78"),
    ("<db.password>Pa55w0rd!</db.password>", "Pa55w0rd!"),
    ("<apiKey>k7Hq2Lm9Xz4Pw8Rt</apiKey>", "k7Hq2Lm9Xz4Pw8Rt"),
    ("REDIS_URL=redis://:p4ssw0rdR3dis@cache.internal:6379/0", "p4ssw0rdR3dis"),
    ("amqp://:guest-s3cret@rabbit:5672/", "guest-s3cret"),
    ("postgres://app:Sup3rS3cret@db/app", "Sup3rS3cret"),
    ("\n".join(RSA) + "\n", RSA[1]),  # a PEM body read without its BEGIN line
    ("\n".join(SSH) + "\nAAAAAAECAwQF\n", "AAAAAAECAwQF"),  # OpenSSH, with its short last line
    (NUMBERED + "\n", RSA[2]),  # as read_file shows it from start_line=2
    ("\n".join(f"{n}:{line}" for n, line in enumerate(SSH, start=7)), SSH[1]),  # grep -n
    (f"{RSA[0]}\n", RSA[0]),  # one line of 64
    (f"-----BEGIN RSA PRIVATE KEY-----\n{RSA[0]}\nZm9vYmFy", "Zm9vYmFy"),  # cut short
    ("(home / 'id_rsa').write_text('-----BEGIN OPENSSH PRIVATE KEY-----\\ncanary-7f3a9c1e5b\\n')",
     "canary-7f3a"),
]  # fmt: skip

# Ordinary code, config and prose: left exactly as it is.
NEGATIVES = [
    "MAX_KEY = 10",
    "cache_key = make_key(x)",
    "id = models.AutoField(primary_key=True)",
    'key = "name"',
    "items.sort(key=len)",
    "password_field = forms.CharField()",
    "token = next(tokens)",
    'SORT_KEY = "created_at_desc_v2"',
    'cache_key = f"user:{user_id}:profile"',
    'PRIMARY_KEY = "id"',
    "owner = ForeignKey(User, on_delete=models.CASCADE)",
    'monkey = "chimpanzee123"',
    'bypass = "allow-all-v2"',
    "first_pass = True",
    'render_pass = "shadowmap"',
    "if key_pass and key_pass.strip():",
    '{"sortKey": "createdAt", "partitionKey": "/tenantId"}',
    'publicKey: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"',
    '"hotKey": "ctrl+shift+k"',
    'idempotencyKey: "order-created"',
    'storage_key = "uploads/avatars/2024/original"',
    "translation_key: 'errors.not_found.title'",
    'LOG_FORMAT_KEY = "%(asctime)s %(levelname)s"',
    "API_KEY_HEADER = 'X-Api-Key'",
    'api_key_env = "OPENAI_API_KEY"',
    'api_key = os.environ["API_KEY"]',
    'ENCRYPTION_KEY = os.environ.get("ENCRYPTION_KEY")',
    "def get_key(self, key: str) -> str:",
    "x-api-key: <your-api-key>",
    "DB_PASS=${DB_PASS}",
    'headers = {"Authorization": f"Bearer {token}"}',
    'curl -H "Authorization: Bearer $TOKEN" https://api.example.com',
    "Authorization: Bearer <token>",
    "Authorization: Negotiate",
    "Basic usage of the python3-compatible API",
    "Use Bearer authentication for every request to the API.",
    "redis://cache.internal:6379/0",
    "https://user@example.com/repo.git",
    "<token>{{ token }}</token>",
    "<password>${db.password}</password>",
    "<secret>changeme</secret>",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    # sha256 lines of a lock file: pure hex is never a key body
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
    '"integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZ=="',
    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "src/main/java/com/example/project/service/impl/UserServiceImpl2.java",
    "The quick brown fox jumps over the lazy dog, and then the dog sleeps all afternoon long.",
]


@pytest.mark.parametrize(("text", "secret"), POSITIVES)
def test_secrets_the_docs_promise_are_redacted(text, secret):
    out = redact(text)
    assert secret not in out and REDACTED in out, out


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_code_config_and_prose_are_left_alone(text):
    assert redact(text) == text


def test_the_tables_are_large_enough_to_mean_something():
    assert len(POSITIVES) >= 30 and len(NEGATIVES) >= 30


def test_a_key_body_keeps_its_line_numbers_and_loses_every_line():
    out = redact(NUMBERED)
    assert out.splitlines() == [f"{n:>5}  {REDACTED}" for n in range(2, 2 + len(RSA))]


def test_a_private_key_cut_short_hides_its_body_not_the_code_after_it():
    text = "-----BEGIN EC PRIVATE KEY-----\ncanary-7f3a9c1e5b\n\nx = compute(1)\n"
    assert redact(text) == f"{REDACTED}\n\nx = compute(1)\n"


def test_a_private_key_hides_everything_from_begin_to_end():
    text = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        + "\n".join(SSH)
        + "\n-----END OPENSSH PRIVATE KEY-----"
    )
    assert redact(f"key:\n{text}\nafter") == f"key:\n{REDACTED}\nafter"


def test_the_users_own_keys_are_hidden_wherever_they_appear():
    assert Redactor(("plain-words-key",)).redact("use plain-words-key now") == f"use {REDACTED} now"


# -- the editor's cursor ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "suffix"),
    [
        ('API_TOKEN = "abcd', 'efgh1234"\n'),  # the cursor inside the value
        ('API_TOKEN = "Zx9', 'Qw8Er7Ty"\n'),
        ("password = hunt", "er2hunter2\n"),  # a bare value
        ("MASTER_KEY=9f86d081884c", "7d659a2feaa0c55ad015\n"),
        ("Authorization: Bearer 8f14e45fceea", "167a5a36dedd4bea2543\n"),
        (f"{RSA[0][:20]}", f"{RSA[0][20:]}\n{RSA[1]}\n"),  # inside a key body
        ("token = ghp_" + "a1B2c3D4e5" * 2, "a1B2c3D4e5\n"),
    ],
)
def test_a_secret_the_cursor_splits_leaves_nothing_to_send(prefix, suffix):
    assert OutboundRedactor().fim_parts(prefix, suffix) is None


@pytest.mark.parametrize(
    ("prefix", "suffix", "expected"),
    [
        # right after `= `, before the quote: the value is hidden, the cursor stays in place
        ("API_TOKEN = ", '"Zx9Qw8Er7Ty6Ui5"\n', ("API_TOKEN = ", f'"{REDACTED}"\n')),
        # right after the value, before the auto-closed quote
        ('password = "hunter22', '"\n', (f'password = "{REDACTED}', '"\n')),
        ('x = 1\nAPI_TOKEN = "Zx9Qw8Er7Ty6Ui5"\ny = ', "2\n",
         (f'x = 1\nAPI_TOKEN = "{REDACTED}"\ny = ', "2\n")),
        ("def f():\n    return ", "\n", ("def f():\n    return ", "\n")),
    ],
)  # fmt: skip
def test_a_secret_beside_the_cursor_is_hidden_on_its_own_side(prefix, suffix, expected):
    assert OutboundRedactor().fim_parts(prefix, suffix) == expected


def test_the_users_key_split_by_the_cursor_leaves_nothing_to_send():
    redactor = OutboundRedactor(["user-own-key-7Hq2Lm9Xz4Pw"])
    assert redactor.fim_parts("key is user-own-", "key-7Hq2Lm9Xz4Pw.\n") is None


# -- time ------------------------------------------------------------------------------------


def repository_text(pattern: str, size: int) -> str:
    """Return `size` characters of this repository's own files matching `pattern`."""
    files = sorted(p for p in ROOT.glob(pattern) if ".venv" not in p.parts)
    text = ""
    while len(text) < size:
        text += "".join(p.read_text() for p in files)
    return text[:size]


def seconds_to_redact(text: str) -> float:
    """Return the best of three timings of redacting `text`."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        redact(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("pattern", ["assistant/**/*.py", "**/*.md"])
def test_a_megabyte_of_code_or_prose_redacts_quickly(pattern):
    # About 40 ms on a laptop; the bound only catches a return to a super-linear pattern.
    assert seconds_to_redact(repository_text(pattern, 1_000_000)) < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "A" * 200_000,
        "eyJ" * 70_000,
        "sk-" * 70_000,
        "aKey = " * 30_000,
        "a_pass=" * 30_000,
        "Authorization: " * 15_000,
        "Bearer " * 30_000,
        "<token>" * 30_000,
        "x://" * 50_000 + "@",
        "-----BEGIN RSA PRIVATE KEY-----\n" * 6_000,
        ("QUJD" * 16 + "\n") * 4_000,
        (RSA[0] + "\n") * 3_000,
    ],
    ids=lambda text: repr(text[:12]),
)
def test_hostile_text_redacts_in_linear_time(text):
    assert seconds_to_redact(text) < 1.0


@pytest.mark.parametrize(
    ("path", "secret"),
    [
        ("infra/terraform.tfstate", True),
        ("terraform.tfstate.backup", True),
        ("envs/prod.tfvars", True),
        ("infra/main.tf", False),
        ("docs/tfstate.md", False),
    ],
)
def test_terraform_state_is_a_secrets_file(path, secret):
    from assistant.security.secrets import is_secret_path

    assert is_secret_path(path) is secret


PATH_PARTS = st.sampled_from(
    ["", ".", "..", "src", ".ssh", ".env", "id_rsa", ".env.example", "config.json", ".docker",
     "credentials", "key.pem", "a.py", "gh", "hosts.yml", "~"]
)  # fmt: skip


@given(st.lists(PATH_PARTS, max_size=6), st.booleans(), st.booleans())
def test_a_secrets_path_is_judged_the_same_however_it_is_spelled(parts, leading, trailing):
    """Doubled or trailing slashes and `.` parts change nothing: the path is judged as the
    normalised one (what PurePosixPath makes of it)."""
    from pathlib import PurePosixPath

    from assistant.security.secrets import is_secret_path

    spelled = ("/" if leading else "") + "/".join(parts) + ("/" if trailing else "")
    assert is_secret_path(spelled) is is_secret_path(str(PurePosixPath(spelled)))
    assert is_secret_path(spelled) is is_secret_path(PurePosixPath(spelled))
