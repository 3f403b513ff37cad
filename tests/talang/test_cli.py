"""`carrot talang eval` and `carrot talang check`."""

from __future__ import annotations

from typer.testing import CliRunner

from carrot.talang.cli import talang_app

RUNNER = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(talang_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_eval_text_prints_exact_json() -> None:
    assert invoke("eval", "(+ 1 2.50)") == (0, "3.50\n", "")
    assert invoke("eval", "(/ 1 3)") == (0, "0.3333333333333333\n", "")


def test_eval_json_with_a_scope() -> None:
    code, out, _ = invoke(
        "eval", '[">", [".", "Session", "Total"], 100]', "--scope", '{"Session": {"Total": 100.01}}'
    )
    assert (code, out) == (0, "true\n")


def test_eval_structured_results() -> None:
    assert invoke("eval", "(kv (a (list 1 x (noop))) (t 2024-01-01T00:00:00Z))") == (
        0,
        '{"a": [1, "x", null], "t": "2024-01-01T00:00:00Z"}\n',
        "",
    )


def test_scope_times_and_now() -> None:
    code, out, _ = invoke(
        "eval",
        "(days (. Ends))",
        "--scope",
        '{"Ends": "2024-01-03T00:00:00Z"}',
        "--now",
        "2024-01-01T00:00:00Z",
    )
    assert (code, out) == (0, "2\n")


def test_errors_go_to_stderr_with_status_1() -> None:
    assert invoke("eval", "(> 1)") == (1, "", "error at $: `>` takes at least 2 arguments, got 1\n")
    assert invoke("eval", "(. Missing)") == (1, "", "error at $: `Missing` is not set\n")
    assert invoke("eval", "(+ 1") == (1, "", "error at $: the `(` at character 1 is never closed\n")
    assert invoke("eval", "1", "--scope", "[1]") == (
        1,
        "",
        "error: --scope must be a JSON object\n",
    )
    assert invoke("eval", "1", "--scope", "{")[0] == 1
    assert invoke("eval", "1", "--now", "yesterday") == (
        1,
        "",
        "error: --now 'yesterday' is not an RFC 3339 time\n",
    )


def test_check_prints_the_kind_and_both_notations() -> None:
    code, out, _ = invoke("check", '["and", [">", [".", "S", "T"], 1], true]')
    assert code == 0
    assert out == (
        "ok: gives Boolean\n"
        "text: (and (> (. S T) 1) true)\n"
        'json: ["and", [">", [".", "S", "T"], 1], true]\n'
    )


def test_check_reports_the_path() -> None:
    assert invoke("check", '["and", ["frobnicate"]]') == (
        1,
        "",
        "error at $[1][0]: there is no function `frobnicate`\n",
    )
