"""The `leadhouse` command line as a user meets it."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from leadhouse.cli import EXIT_BAD_INPUT, app
from leadhouse.config import DEFAULT_DEFINITION
from tests.conftest import Built

runner = CliRunner()


def test_help_explains_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    commands = {c.callback.__name__: c for c in app.registered_commands if c.callback}
    assert set(commands) == {
        "generate",
        "ingest",
        "build",
        "check",
        "summary",
        "run",
        "runs",
        "erase",
        "calibrate",
        "bench",
    }
    assert [g.name for g in app.registered_groups] == ["report"]
    report = runner.invoke(app, ["report", "consent", "--help"])
    assert report.exit_code == 0 and "Consent coverage for auditors" in report.output
    for name, command in commands.items():
        assert name in result.output
        sub = runner.invoke(app, [name, "--help"])
        assert sub.exit_code == 0, name
        summary_line = (command.callback.__doc__ or "").strip().splitlines()[0]
        # The command's own explanation is shown (Rich may re-wrap it, so word by word).
        assert summary_line and all(word in sub.output for word in summary_line.split()), name


def test_bench_refuses_an_unknown_scale(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "--scale", "XL", "--work", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "--scale must be one of XS, S, M, L" in result.output
    assert not (tmp_path / "w").exists()


def test_generate_reports_what_it_wrote(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", "--out", str(tmp_path), "--people", "50", "--end-date", "2026-11-01"]
    )
    assert result.exit_code == 0, result.output
    assert "Generated 50 contacts" in result.output
    assert (tmp_path / "crm" / "contacts.jsonl").exists()


def test_bad_input_exits_2_with_a_clear_message(tmp_path: Path, built: Built) -> None:
    missing = runner.invoke(app, ["ingest", "--data", str(tmp_path / "nope")])
    assert missing.exit_code == EXIT_BAD_INPUT
    assert "does not exist" in missing.output
    bad = tmp_path / "bad.yml"
    bad.write_text(DEFAULT_DEFINITION.read_text().replace("points: 20", "points: many", 1))
    result = runner.invoke(
        app,
        ["build", "--warehouse", str(built.warehouse.root), "--definition", str(bad)],
    )
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"{bad}:" in result.output and "points" in result.output


def test_summary_command(built: Built) -> None:
    result = runner.invoke(app, ["summary", "--warehouse", str(built.warehouse.root)])
    assert result.exit_code == 0, result.output
    assert "People per stage:" in result.output
    # The generated contact whose lastmodifieddate was typed by hand (tests/test_typing.py).
    assert "Values staging could not read" in result.output
    assert re.search(r"raw_crm\.contacts\.properties__lastmodifieddate +1\n", result.output)


def test_bench_refuses_unknown_step_groups(tmp_path: Path) -> None:
    work = tmp_path / "w"
    result = runner.invoke(app, ["bench", "--steps", "web,speed", "--work", str(work)])
    assert result.exit_code == 2
    assert "--steps takes ingest, web, dbt, runs, tutorial; got speed" in result.output
    result = runner.invoke(
        app, ["bench", "--steps", "tutorial", "--no-tutorial", "--work", str(work)]
    )
    assert result.exit_code == 2
    assert "got nothing to time" in result.output
    assert not work.exists()
