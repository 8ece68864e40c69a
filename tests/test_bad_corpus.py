"""Every class of bad input in the corpus (tests/bad_corpus.py) through the command line: a message, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import bad_corpus
import pytest


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {c.name: c for c in bad_corpus.cases(tmp_path_factory.mktemp("corpus"))}


@pytest.mark.parametrize("name", [
    "osm_empty", "osm_html_page", "osm_truncated", "osm_random_bytes",
    "raster_nan_negative", "raster_rgb", "raster_truncated", "raster_older_above_total",
    "option_nan_snap", "option_negative_total",
    "toml_walk_speed_m_per_min", "toml_bad_id", "toml_gbk", "toml_nested",
    "table_utf16", "table_no_coordinates", "table_binary",
    "out_is_a_file", "out_not_a_run", "run_folder_missing", "run_folder_without_manifest",
])
def test_bad_input_gets_a_message(corpus, name, capsys):
    from accessibility import cli

    case = corpus[name]
    try:
        code = cli.main(case.argv)
    except SystemExit as exc:  # argparse refuses an option value
        code = exc.code
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    assert code == case.code, text
    for fragment in case.says:
        assert fragment in text, f"{name}: {fragment!r} not in the message: {text}"
    if case.notes:
        out_dir = case.argv[case.argv.index("--out") + 1]
        with Path(out_dir, "goals.json").open(encoding="utf-8") as fh:
            notes = " ".join(n["message"] for n in json.load(fh)["notes"])
        for fragment in case.notes:
            assert fragment in notes, f"{name}: {fragment!r} not in the run's notes: {notes}"


def test_the_corpus_covers_every_listed_case(corpus):
    listed = {p for m in test_bad_input_gets_a_message.pytestmark for p in m.args[1]}
    assert set(corpus) == listed
