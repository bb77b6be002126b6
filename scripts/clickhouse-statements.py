#!/usr/bin/env python3
"""Runs every statement reel's ClickHouse store sent, in order, on a current ClickHouse
(chdb-core, ClickHouse in-process: `pip install chdb-core`), and compares each query's rows
with what the server the statements were logged against (Debian's 18.16) answered.

The log comes from the scale suite's chart comparison:

    REEL_CLICKHOUSE_STATEMENTS=/tmp/statements.jsonl cargo test -p reel --test scale charts
    python3 scripts/clickhouse-statements.py /tmp/statements.jsonl

Each line is a JSON object: `sql`, `data` (an INSERT's rows), `database` (whether it ran in the
store's database) and `rows` (what the server answered). Rows are compared in order when the
query orders them, else as a multiset. Exits non-zero, naming the statement, on the first
statement that fails or answers differently; prints `N passed, 0 failed` otherwise.
"""

import json
import re
import sys
import tempfile

try:
    from chdb import session
except ImportError:
    sys.exit("chdb-core is not installed: pip install chdb-core")


def main(path):
    with open(path, encoding="utf-8") as f:
        entries = [json.loads(line) for line in f if line.strip()]
    if not entries:
        sys.exit(f"{path} holds no statements")
    folder = tempfile.mkdtemp(prefix="reel-chdb-")
    s = session.Session(folder)
    version = str(s.query("SELECT version()", "TabSeparated")).strip()
    database = None
    passed = 0
    for n, e in enumerate(entries, 1):
        sql = e["sql"]
        created = re.match(r"CREATE DATABASE IF NOT EXISTS (\w+)$", sql)
        if e.get("database") and database is None:
            sys.exit(f"statement {n} runs in the store's database before it was made: {sql}")
        text = sql if e.get("data") is None else sql + "\n" + e["data"]
        try:
            answer = str(s.query(text, "TabSeparated"))
        except Exception as err:  # chdb raises its own error types
            print(f"statement {n} failed on ClickHouse {version}:\n{sql}\n{err}", file=sys.stderr)
            print(f"{passed} passed, 1 failed")
            return 1
        if created:
            database = created.group(1)
            s.query(f"USE {database}", "TabSeparated")
        want = e.get("rows", "")
        if sql.lstrip().upper().startswith("SELECT"):
            ordered = "ORDER BY" in sql.upper()
            got_rows = answer.splitlines()
            want_rows = want.splitlines()
            if not ordered:
                got_rows, want_rows = sorted(got_rows), sorted(want_rows)
            if got_rows != want_rows:
                print(
                    f"statement {n} answered differently on ClickHouse {version}:\n{sql}\n"
                    f"logged: {want_rows[:10]}\nnow:    {got_rows[:10]}",
                    file=sys.stderr,
                )
                print(f"{passed} passed, 1 failed")
                return 1
        passed += 1
    print(f"ClickHouse {version}: every statement ran and answered as logged")
    print(f"{passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
