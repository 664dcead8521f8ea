"""The documentation and the code agree on the settings, and the docs point only to what a reader
can open. No database: the code is read as text (Python through `ast`), never imported.

(a) Every environment variable that README.md or docs/*.md names is read by the code. Named are:
    every identifier in capitals with an underscore (`CASEWORK_ENV`, `DATABASE_URL`, ...); the first
    cell of every table whose header is "variable"; and every `NAME=` assignment in code. The code
    is the six first-party packages (`[tool.importlinter] root_packages`) and, for this check only,
    the scripts behind the make targets: `bin/` (test-all, load, prod-smoke, serve), `bench/`
    (make bench), and the Makefile's own `?=` variables (`make run PORT=8080`). A name that is a
    Django setting read through `django.conf.settings` but not from the environment must be in
    the table "Django settings without an environment variable" of docs/operations.md.
(b) Every environment variable the six packages read (the `CASEWORK_*` ones and the others) has a
    row in the settings table of docs/operations.md. `bin/` and `bench/` are left out here: their
    variables are documented where their commands are explained.
(c) No file of README.md and docs/ points to what a reader cannot open (the builders' private
    source folder, its file names, numbered issues); README.md has at most 250 lines; every
    relative link opens a file and, with `#`, a heading in it.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("casework", "workflows", "teams", "notifications", "signin", "sso")
SCRIPTS = ("bin", "bench")  # check (a) only
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OPERATIONS = ROOT / "docs" / "operations.md"

# Example names of a per-provider client secret: the variable is named in the provider's row in the
# database (sso.IdentityProvider.client_secret_env), so no code names it.
SSO_SECRET_EXAMPLES = {"CASEWORK_SSO_GEMEENTE_SECRET"}
# Capitals with an underscore in the docs that are no setting at all.
NOT_SETTINGS = {
    "ART_5A", "ART_15", "CREATED_DESC",  # the API's x-enum-varnames for `5a`, `15`, `-created`
    "CONN_HEALTH_CHECKS",  # a key of Django's DATABASES entry, set in settings.py
}

NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
ASSIGNMENT = re.compile(r"(?<![\w$])([A-Z][A-Z0-9_]*)=")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
FIRST_CELL = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`")


# --- what the code reads ---------------------------------------------------------------------

def _is_environ(node) -> bool:
    """`os.environ` (or a bare `environ`)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ")


def _text(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _environ_key(node):
    """The key expression of an environment read, or None: os.environ.get(K, ...),
    os.getenv(K, ...), os.environ[K] (read, not assigned), K in os.environ."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value):
            return node.args[0]
        if isinstance(func, ast.Attribute) and func.attr == "getenv":
            return node.args[0]
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value):
        return node.slice
    if isinstance(node, ast.Compare) and any(isinstance(op, ast.In) for op in node.ops) \
            and any(_is_environ(c) for c in node.comparators):
        return node.left
    return None


def _settings_key(node):
    """The name expression of a Django settings read: getattr(settings, K, ...)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
            and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == "settings":
        return node.args[1]
    return None


def _helpers(tree, key_of) -> set[str]:
    """Functions that pass their first parameter on as the name to read (settings.py's env_bool
    and env_list, casework.clocks.setting): a call with a constant first argument is a read too."""
    found = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.args.args:
            first = function.args.args[0].arg
            for node in ast.walk(function):
                key = key_of(node)
                if isinstance(key, ast.Name) and key.id == first:
                    found.add(function.name)
    return found


def _python_files(folder: Path):
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py":
            yield path
        elif not path.suffix and path.read_bytes()[:40].startswith(b"#!") and b"python" in path.read_bytes()[:40]:
            yield path  # bin/serve, bin/load, bin/prod-smoke


def _reads(paths) -> tuple[set[str], set[str]]:
    """(environment variables, Django settings) that these Python files read."""
    trees = [ast.parse(path.read_text(), str(path)) for path in paths]
    env_helpers = set().union(*(_helpers(tree, _environ_key) for tree in trees))
    settings_helpers = set().union(*(_helpers(tree, _settings_key) for tree in trees))
    env, django = set(), set()
    for tree in trees:
        for node in ast.walk(tree):
            if (key := _text(_environ_key(node))) is not None:
                env.add(key)
            if (key := _text(_settings_key(node))) is not None:
                django.add(key)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
                if node.func.id in env_helpers and (key := _text(node.args[0])):
                    env.add(key)
                if node.func.id in settings_helpers and (key := _text(node.args[0])):
                    django.add(key)
            # dj_database_url.config() reads DATABASE_URL unless given env="OTHER".
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "config" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "dj_database_url":
                named = {kw.arg: _text(kw.value) for kw in node.keywords}
                env.add(named.get("env") or "DATABASE_URL")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings":
                django.add(node.attr)
    return env, django


def _settings_module_names() -> set[str]:
    trees = [ast.parse(path.read_text()) for path in sorted((ROOT / "casework" / "settings").glob("*.py"))]
    names = set()
    for node in (node for tree in trees for node in tree.body):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return names


def _shell_reads(text: str) -> set[str]:
    """${NAME:-default}, ${NAME-default}, ${NAME:?}: a shell script's (or the Procfile's) reads."""
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):?[-?]", text))


def _makefile_variables() -> set[str]:
    """`NAME ?= value`: taken from the command line or the environment (make run PORT=8080)."""
    return set(re.findall(r"(?:^|\bexport\s+)([A-Z_][A-Z0-9_]*)\s*\?=", (ROOT / "Makefile").read_text(), re.M))


PACKAGE_ENV, PACKAGE_DJANGO = _reads([p for package in PACKAGES for p in _python_files(ROOT / package)])
SCRIPT_ENV, _ = _reads([p for folder in SCRIPTS for p in _python_files(ROOT / folder)])
SCRIPT_ENV |= {name for path in (ROOT / "bin").iterdir() if path.is_file()
               for name in _shell_reads(path.read_text())}
SCRIPT_ENV |= _shell_reads((ROOT / "Procfile").read_text()) | _makefile_variables()
DJANGO_SETTINGS = (PACKAGE_DJANGO | _settings_module_names()) - PACKAGE_ENV


# --- what the docs say -----------------------------------------------------------------------

def _tables(text: str) -> list[list[str]]:
    """Every Markdown table, as its lines (header first)."""
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _header(table: list[str]) -> str:
    return table[0].strip("| ").split("|")[0].strip().lower()


def _section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1:]
    stop = re.search(rf"^#{{1,{len(level)}}} ", rest, re.M)
    return rest[:stop.start()] if stop else rest


def _first_cells(table: list[str]) -> list[str]:
    return [m.group(1) for line in table[2:] if (m := FIRST_CELL.match(line))]


def _table_rows(heading: str, header: str) -> list[str]:
    section = _section(OPERATIONS.read_text(), heading)
    tables = [table for table in _tables(section) if _header(table) == header]
    assert len(tables) == 1, f"docs/operations.md: one table '{header}' under {heading!r}"
    return _first_cells(tables[0])


ENV_TABLE = _table_rows("## Settings", "variable")
DJANGO_TABLE = _table_rows("### Django settings without an environment variable", "setting")


def _named(text: str) -> set[str]:
    names = set(NAME.findall(text))
    for table in _tables(text):
        if _header(table) == "variable":
            names |= set(_first_cells(table))
    code = [*FENCE.findall(text), *INLINE_CODE.findall(text)]
    names |= {name for snippet in code for name in ASSIGNMENT.findall(snippet)}
    return names


# --- the tests ---------------------------------------------------------------------------------

def test_the_parser_finds_the_reads_it_must():
    # Not a vacuous pass: each way of reading the environment is seen.
    assert {"CASEWORK_ENV", "SECRET_KEY", "EMAIL_HOST"} <= PACKAGE_ENV  # os.environ.get / [...]
    assert {"DEBUG", "ALLOWED_HOSTS", "CASEWORK_REQUIRE_TWO_FACTOR"} <= PACKAGE_ENV  # env_bool, env_list
    assert "DATABASE_URL" in PACKAGE_ENV  # dj_database_url.config()
    assert {"TEST_DATABASE_URL", "CI", "LOAD_SECONDS", "SMOKE_SECONDS", "WEB_WORKERS", "PORT"} <= SCRIPT_ENV
    assert {"CASEWORK_ZIEK_REVIEW_DAYS", "CASEWORK_RETENTION_PERIODS"} <= DJANGO_SETTINGS  # setting(), getattr
    assert len(ENV_TABLE) > 40 and DJANGO_TABLE


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_variable_the_docs_name_is_read_by_the_code(doc):
    named = _named(doc.read_text())
    known = PACKAGE_ENV | SCRIPT_ENV | DJANGO_SETTINGS | SSO_SECRET_EXAMPLES | NOT_SETTINGS
    unread = sorted(named - known)
    assert not unread, f"{doc.name} names settings no code reads: {unread}"
    # A Django setting that is not an environment variable is explained as such, in its own table.
    django_only = sorted(n for n in named & DJANGO_SETTINGS if n.startswith("CASEWORK_") and n not in DJANGO_TABLE)
    assert not django_only, (f"{doc.name} names Django settings that are no environment variable; "
                             f"list them in docs/operations.md's Django settings table: {django_only}")


def test_the_settings_table_lists_only_environment_variables():
    not_env = sorted(set(ENV_TABLE) - PACKAGE_ENV - SCRIPT_ENV)
    assert not not_env, f"rows of the settings table that no code reads from the environment: {not_env}"
    assert len(ENV_TABLE) == len(set(ENV_TABLE)), "a variable has two rows"
    env_after_all = sorted(set(DJANGO_TABLE) & (PACKAGE_ENV | SCRIPT_ENV))
    assert not env_after_all, f"read from the environment, so they belong in the settings table: {env_after_all}"
    unknown = sorted(set(DJANGO_TABLE) - DJANGO_SETTINGS)
    assert not unknown, f"no code reads these Django settings: {unknown}"


def test_every_variable_the_packages_read_is_in_the_settings_table():
    missing = sorted(PACKAGE_ENV - set(ENV_TABLE))
    assert not missing, f"read by {', '.join(PACKAGES)} but missing from docs/operations.md's settings table: {missing}"
    assert {n for n in PACKAGE_ENV if n.startswith("CASEWORK_")} <= set(ENV_TABLE)


UNREADABLE = [
    (re.compile(r"seed\s*0\d\d", re.I), "a source document by its file number (cite title and section)"),
    (re.compile(r"\b00\d_[0-9a-f]{16}\b"), "a source document's file name (cite title and section)"),
    (re.compile(r"\bshared/"), "the builders' shared folder, outside the repository"),
    (re.compile(r"\bissues?\s*#\s*\d*|\bissues?\s+\d+", re.I), "an issue by number (say what it means)"),
]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_reference_a_reader_cannot_open(doc):
    text = doc.read_text()
    found = [f"{match.group(0)!r}: {why}" for pattern, why in UNREADABLE for match in pattern.finditer(text)]
    assert not found, f"{doc.name}: " + "; ".join(found)


def test_the_readme_is_short():
    lines = len((ROOT / "README.md").read_text().splitlines())
    assert lines <= 250, f"README.md has {lines} lines (at most 250: move detail to docs/)"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_opens(doc):
    text = FENCE.sub("", doc.read_text())
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", FENCE.sub("", file.read_text()), re.M)
            if anchor not in {_anchor(h) for h in headings}:
                broken.append(target)
    assert not broken, f"{doc.name}: links that do not open: {broken}"
