"""Bad requests to a real `rla ui` server: each gets a 4xx JSON error naming what is wrong, the
server goes on answering, and file names of any spelling download under their own name."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest
from ui_server import running_ui, ui_db  # noqa: F401

from RLA.db.query import ItemFilter, select


def _call(url: str, path: str, body: Any = None, raw: bytes = b"") -> Tuple[int, Dict[str, str], bytes]:
    data = raw or (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _error(url: str, path: str, body: Any = None, raw: bytes = b"") -> Tuple[int, str]:
    status, headers, content = _call(url, path, body, raw)
    assert headers["content-type"].startswith("application/json"), (path, body, status, content[:200])
    return status, json.loads(content)["error"]


CURVES = {"metrics": ["perf/reward"], "filter": "-t cheetah"}
BAD_CURVES = [
    ({"resample": "many"}, "resample must be a whole number"),
    ({"smooth_step": "abc"}, "smooth_step must be a number"),
    ({"smooth_step": "nan"}, "smooth_step must be finite"),
    ({"xlim": ["a", 10]}, "low must be a number"),
    ({"xlim": [0, 10, 20]}, "xlim must be [low, high]"),
    ({"filter": ["-t", "cheetah"]}, "filter must be a string"),
    ({"indices": "cheetah/2026"}, "indices must be a list of strings"),
    ({"indices": [1, 2]}, "indices must be a list of strings"),
    ({"split_keys": "lr"}, "split_keys must be a list of strings"),
    ({"metrics": "perf/reward"}, "metrics must be a list of strings"),
    ({"band": 3}, "band must be a string"),
    ({"smoothstep": 2}, "unknown curve option 'smoothstep' (did you mean smooth_step"),
]


@pytest.mark.parametrize("change, message", BAD_CURVES, ids=[m for _, m in BAD_CURVES])
def test_a_bad_curve_request_is_a_400_naming_the_argument(ui_db: Path, change: Dict[str, Any], message: str):
    with running_ui(ui_db) as url:
        status, error = _error(url, "api/curves", {**CURVES, **change})
        assert status == 400 and message in error
        status, _, body = _call(url, "api/curves", {**CURVES, "split_keys": ["lr"]})
        assert status == 200 and len(json.loads(body)["metrics"]["perf/reward"]) == 2  # lr=1e-3 and 3e-4


def test_a_filter_naming_no_table_says_so_with_the_closest(ui_db: Path):
    with running_ui(ui_db) as url:  # as `rla ls -t cheeta` does, rather than an empty table
        for path, body in [("api/runs?" + urllib.parse.urlencode({"q": "-t cheeta"}), None),
                           ("api/curves", {**CURVES, "filter": "-t cheeta"})]:
            status, error = _error(url, path, body)
            assert status == 404 and "no table 'cheeta'" in error and "did you mean cheetah" in error
        status, _, body = _call(url, "api/runs?" + urllib.parse.urlencode({"q": "-t cheetah"}))
        assert status == 200 and json.loads(body)["total"] == 6


def test_malformed_bodies_and_arguments_are_400s(ui_db: Path):
    with running_ui(ui_db) as url:
        assert _error(url, "api/metrics", raw=b"[" * 100_000 + b"]" * 100_000)[0] == 400  # nested too deep
        assert _error(url, "api/metrics", raw=b"{not json")[0] == 400
        assert _error(url, "api/metrics", [1, 2]) == (400, "the request body must be a JSON object")
        status, error = _error(url, "api/plan", {"action": "delete", "indices": "cheetah"})
        assert status == 400 and "indices must be a list of strings" in error
        status, error = _error(url, "api/apply", {"id": {"$ne": 1}})
        assert status == 400 and "id must be a string" in error
        status, error = _error(url, "api/file?" + urllib.parse.urlencode(
            {"index": select(ui_db, ItemFilter(task="walker"))[0].index, "type": "results", "path": "a\0b"}))
        assert status == 400 and "relative path inside the item's folder" in error


def test_a_huge_filter_is_refused_at_once_and_the_server_goes_on(ui_db: Path):
    with running_ui(ui_db) as url:
        for filter_text in ["a" * 1_000_000, "-s x " * 200_000]:  # shlex alone took 25 s and 49 s on these
            started = time.monotonic()
            status, error = _error(url, "api/metrics", {"filter": filter_text})
            assert status == 400 and "1,000,000 characters long; at most 10,000" in error
            assert time.monotonic() - started < 10  # generous: the refusal reads no filter at all
        status, error = _error(url, "api/runs?" + urllib.parse.urlencode({"q": "-w '" + "(" * 5000 + "'"}))
        assert status == 400 and "cannot parse expression" in error and "5,000 characters" in error
        status, _, body = _call(url, "api/runs?q=-t+walker")
        assert status == 200 and len(json.loads(body)["runs"]) == 1


@pytest.mark.parametrize("name", ['say "hi".txt', "résultat ☃.txt", "notes,; name*=x.txt"])
def test_a_file_of_any_name_downloads_under_its_own_name(ui_db: Path, name: str):
    record = select(ui_db, ItemFilter(task="walker"))[0]
    record.item.results_dir.mkdir(parents=True, exist_ok=True)
    (record.item.results_dir / name).write_text("kept")
    with running_ui(ui_db) as url:
        query = urllib.parse.urlencode({"index": record.index, "type": "results", "path": name})
        status, headers, body = _call(url, "api/file?" + query)
    assert status == 200 and body == b"kept"
    disposition = Message()
    disposition["content-disposition"] = headers["content-disposition"]
    assert disposition.get_content_disposition() == "attachment" and disposition.get_filename() == name


def test_a_bad_annotation_is_a_4xx_and_writes_nothing(ui_db: Path):
    record = select(ui_db, ItemFilter(task="walker"))[0]
    bad = [({"indices": [record.index], "add": ["two words"]}, 400, "is not a tag"),
           ({"indices": [record.index], "add": "baseline"}, 400, "add must be a list of strings"),
           ({"indices": [record.index], "note": 3}, 400, "note must be a string"),
           ({"indices": [record.index], "note": "x" * 20_001}, 400, "at most 20,000"),
           ({"indices": [record.index], "note": "a", "append": "b"}, 400, "not both"),
           ({"add": ["baseline"]}, 400, "indices must name the runs"),
           ({"indices": ["walker/2020/01/01/nope"], "add": ["baseline"]}, 404, "no item")]
    with running_ui(ui_db) as url:
        for body, code, message in bad:
            status, error = _error(url, "api/annotate", body)
            assert status == code and message in error, (body, error)
        assert not record.item.annotations_json.exists()
        status, _, answer = _call(url, "api/annotate", {"indices": [record.index], "add": ["baseline"]})
    assert status == 200 and json.loads(answer) == {"runs": [{"index": record.index, "tags": ["baseline"],
                                                               "note": ""}]}


RESULTS = {"tasks": ["cheetah"], "metric": "perf/reward", "split_keys": ["lr"], "k": 5}
BAD_RESULTS = [
    ({"stat": "mode"}, "stat must be one of iqm, mean, median"),
    ({"score": "last"}, "score must be one of final, best, auc"),
    ({"x": "days"}, "unknown x axis 'days'; choose from step"),
    ({"k": 0}, "must be at least 1"),
    ({"k": "many"}, "k must be a whole number"),
    ({"tasks": "cheetah"}, "tasks must be a list of strings"),
    ({"tasks": []}, "pick at least one task"),
    ({"metric": ""}, "pick the metric"),
    ({"normalize": "cheetah=0"}, "write TASK=RANDOM:REFERENCE"),
    ({"indices": []}, "indices name no run"),
    ({"filter": "-w 'lr >>= 1'"}, "cannot parse expression"),
    ({"split_key": ["lr"]}, "unknown results option 'split_key' (did you mean split_keys?)"),
    ({"metric": "perf/rewrd"}, "'perf/rewrd' (did you mean perf/reward?)"),
]


def test_a_bad_results_request_is_a_400_naming_the_argument_and_ticked_runs_are_kept(ui_db: Path):
    records = sorted(select(ui_db, ItemFilter(task="cheetah")), key=lambda r: r.index)
    with running_ui(ui_db) as url:
        for change, message in BAD_RESULTS:
            for panel in ("table", "curves", "importance"):
                status, error = _error(url, f"api/results/{panel}", {**RESULTS, **change})
                assert status == 400 and message in error, (panel, change, error)
        status, error = _error(url, "api/results/table-file?format=xml", RESULTS)
        assert status == 400 and "format must be one of md, latex, csv" in error
        chosen = [r.index for r in records if r.params["seed"] < 2]  # two runs of each learning rate
        status, _, body = _call(url, "api/results/table", {**RESULTS, "indices": chosen})
        table = json.loads(body)
        assert status == 200 and table["runs"] == 4 and {c["n"] for c in table["cells"]} == {2}
        status, headers, markdown = _call(url, "api/results/table-file?format=md", RESULTS)
        assert status == 200 and headers["content-type"].startswith("text/markdown")
        assert "| lr | cheetah | n |" in markdown.decode() and "made by: rla ui" in markdown.decode()


def test_the_runs_and_run_pages_offer_no_time_column_as_a_metric(ui_db: Path):
    from RLA.db.late_columns import progress_columns

    with running_ui(ui_db) as url:
        status, _, body = _call(url, "api/runs?q=" + urllib.parse.quote("-t cheetah"))
        table = json.loads(body)
        assert status == 200 and "perf/reward" in table["metric_keys"]
        index = table["runs"][0]["index"]
        status, _, body = _call(url, "api/run?" + urllib.parse.urlencode({"index": index}))
        metrics = json.loads(body)["metrics"]
        assert status == 200 and "perf/reward" in metrics
    item = next(r.item for r in select(ui_db, ItemFilter()) if r.index == index)
    assert {"time-step", "wall_time"} <= set(progress_columns(item.progress_csv))  # there, and not offered
    assert not {"time-step", "wall_time"} & {*table["metric_keys"], *metrics}
