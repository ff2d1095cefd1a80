"""Hostile but fair inputs are refused before any work: exit 2, one bounded line naming the input.

The second round (issue 19): scheduler addresses where no scheduler answers, outputs checked
before the work, bounded echoes, sizes that cannot fit, the pickle refusal, YAML quirks."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from lstm_lib import cli, load, save, sine_waves, train
from lstm_lib.runs.cluster import SCHEDULER_ENV
from lstm_lib.training import checkpoint as ckpt
from lstm_lib.training.config import TrainConfig
from lstm_lib.validation import load_yaml

TINY = ["--iterations", "3", "--n-hidden", "4", "--n-train", "2", "--length", "12", "--quiet"]


@pytest.fixture
def no_training(monkeypatch):
    """Any training started fails the test: the refusal must come first."""
    import lstm_lib.runs.experiments as ex
    import lstm_lib.training.train as tr

    def fail(*args, **kwargs):
        raise AssertionError("training started before the input was checked")

    monkeypatch.setattr(tr, "train", fail)
    monkeypatch.setattr(ex, "train_and_evaluate", fail)


def _refused(argv: list[str], capsys, flag: str) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and "Traceback" not in err, err
    assert len(err) <= cli.MAX_MESSAGE + 100
    return err


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "m.pt"
    save(train(TrainConfig(iterations=3, n_hidden=4), sine_waves(2, 12, 4.0), progress=False), path)
    return path


# ---------------------------------------------------------------- item 3: the YAML bomb


def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [{','.join([f'*a{k - 1}'] * 9)}]")
    return "\n".join(lines) + f"\nmethod: *a{levels - 1}\n"


def test_yaml_bomb_is_refused_before_expansion_with_a_short_message(tmp_path, capsys, no_training):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(9))
    assert len(path.read_bytes()) < 600

    def hung(signum, frame):
        raise AssertionError("the YAML bomb was expanded (still loading after 60 s)")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)  # a hang fails the test; no bound on how fast a loaded machine must be
    try:
        line = _refused(["train", "--config", str(path)], capsys, "--config")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert "alias" in line


def test_huge_and_non_utf8_config_refused(tmp_path, capsys, no_training):
    big = tmp_path / "big.yaml"
    big.write_text("lr: 0.1\n" + "#" * 100_000 + "\n")
    assert "larger than" in _refused(["train", "--config", str(big)], capsys, "--config")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"method: caf\xe9\n")
    assert "UTF-8" in _refused(["train", "--config", str(latin)], capsys, "--config")


def test_long_value_is_quoted_as_a_bounded_excerpt(tmp_path, capsys, no_training):
    path = tmp_path / "long.yaml"
    path.write_text("method: " + "x" * 50_000 + "\n")
    line = _refused(["train", "--config", str(path)], capsys, "--config")
    assert "x" * 100 not in line


# ---------------------------------------------------------------- items 6, 7, 9: paths and edge values


@pytest.mark.parametrize("period", ["1e-310", "1e300", "nan", "1e-4"])
def test_extreme_period_refused(period, capsys, no_training):
    assert "period" in _refused(["train", *TINY, "--period", period], capsys, "--period")


def test_train_out_folder_empty_or_unwritable_refused_before_training(tmp_path, capsys, no_training, monkeypatch):
    _refused(["train", *TINY, "--out", str(tmp_path)], capsys, "--out")
    _refused(["train", *TINY, "--out", ""], capsys, "--out")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # a read-only folder, also as root
    _refused(["train", *TINY, "--out", str(tmp_path / "m.pt")], capsys, "--out")


def test_compare_cache_dir_file_empty_or_read_only_refused_before_training(tmp_path, capsys, no_training, monkeypatch):
    afile = tmp_path / "file"
    afile.write_text("x")
    base = ["compare", *TINY, "--seeds", "1", "--methods", "plain"]
    _refused([*base, "--cache-dir", str(afile)], capsys, "--cache-dir")
    _refused([*base, "--cache-dir", ""], capsys, "--cache-dir")
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert "not writable" in _refused([*base, "--cache-dir", str(tmp_path)], capsys, "--cache-dir")


def test_generate_huge_steps_and_bad_paths_refused(model, tmp_path, capsys):
    _refused(["generate", "--checkpoint", str(model), "--steps", "1000000000"], capsys, "--steps")
    _refused(["generate", "--checkpoint", str(tmp_path)], capsys, "--checkpoint")
    _refused(["generate", "--checkpoint", str(model), "--out-csv", str(tmp_path)], capsys, "--out-csv")
    _refused(["generate", "--checkpoint", str(model), "--out-png", ""], capsys, "--out-png")


def test_nested_json_checkpoint_is_a_usage_error(model, tmp_path, capsys):
    payload = torch.load(model, weights_only=True)
    payload["meta"] = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "nested.pt"
    torch.save(payload, path)
    _refused(["generate", "--checkpoint", str(path)], capsys, "--checkpoint")


def test_nan_weights_are_refused_by_generate(model, tmp_path, capsys):
    payload = torch.load(model, weights_only=True)
    payload["W"] = torch.full_like(payload["W"], float("nan"))
    payload["checksum"] = ckpt.checksum(payload["meta"], {n: payload[n] for n in ckpt.TENSORS})
    path = tmp_path / "nan.pt"
    torch.save(payload, path)
    out = tmp_path / "g.csv"
    assert "NaN" in _refused(["generate", "--checkpoint", str(path), "--out-csv", str(out)], capsys, "--checkpoint")
    assert not out.exists()


# ---------------------------------------------------------------- item 10: file modes


def test_cli_outputs_follow_the_umask(model, tmp_path, capsys):
    old = os.umask(0o022)
    try:
        csv, png = tmp_path / "g.csv", tmp_path / "g.png"
        argv = ["generate", "--checkpoint", str(model), "--steps", "5", "--out-csv", str(csv), "--out-png", str(png)]
        assert cli.main(argv) == 0
        out = tmp_path / "m.pt"
        assert cli.main(["train", *TINY, "--out", str(out)]) == 0
    finally:
        os.umask(old)
    for path in (csv, png, out):
        assert path.stat().st_mode & 0o777 == 0o644, path
    assert load(out).config.iterations == 3


# ================================================================ the second round (issue 19)

ROOT = Path(__file__).resolve().parent.parent
HANG_S = 120
"""A subprocess still running after this long hangs: generous, it only catches a hang."""
CONNECT = "2s"
"""Dask's connect timeout in the scheduler tests (``distributed.comm.timeouts.connect``, 30 s by default)."""
BIG = "x" * 100_000
COMPARE = ["compare", *TINY, "--methods", "plain", "--seeds", "0", "--no-cache"]


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- item 1: a bogus scheduler address


@contextlib.contextmanager
def _listener(kind: str, folder: Path):
    """A peer on 127.0.0.1 that is no Dask scheduler, for the test's duration (at most HANG_S): ``silent``
    accepts and never answers, ``http`` is Python's HTTP server, ``http400`` answers 400 and closes."""
    if kind == "http":
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()
        return
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop, held = threading.Event(), []

    def serve() -> None:
        deadline = time.monotonic() + HANG_S
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            if kind == "http400":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                conn.close()
            else:
                held.append(conn)
        for conn in held:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        sock.close()


def _compare_on(address: str, origin: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``python -m lstm_lib compare`` sent to ``address`` by ``--scheduler`` or ``$LSTM_LIB_SCHEDULER``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env["DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"] = CONNECT
    env.pop(SCHEDULER_ENV, None)
    argv = [sys.executable, "-m", "lstm_lib", *COMPARE, "--out", str(tmp_path / "r.csv")]
    if origin == "--scheduler":
        argv += ["--scheduler", address]
    else:
        env[SCHEDULER_ENV] = address
    return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=HANG_S)


@pytest.mark.parametrize("origin", ["--scheduler", SCHEDULER_ENV])
@pytest.mark.parametrize(
    ("kind", "found"),
    [
        ("silent", "accepted the connection but sent no Dask handshake within 2 s"),
        ("http", "accepted the connection but sent no Dask handshake within 2 s"),
        ("http400", "answered, but not in Dask's protocol"),
    ],
)
def test_a_peer_that_is_no_scheduler_exits_2_within_the_timeout(kind, found, origin, tmp_path):
    pytest.importorskip("distributed")
    with _listener(kind, tmp_path) as port:
        address = f"tcp://127.0.0.1:{port}"
        done = _compare_on(address, origin, tmp_path)  # a hang fails with TimeoutExpired
    err = done.stderr.strip()
    assert done.returncode == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and len(err) <= cli.MAX_MESSAGE + 100, err
    assert origin in err and address in err and found in err, err
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("origin", ["--scheduler", SCHEDULER_ENV])
def test_tls_address_without_tls_settings_is_a_usage_error(origin, capsys, monkeypatch, no_training):
    pytest.importorskip("distributed")
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    argv = COMPARE
    if origin == "--scheduler":
        argv = [*COMPARE, "--scheduler", "tls://127.0.0.1:1"]
    else:
        monkeypatch.setenv(SCHEDULER_ENV, "tls://127.0.0.1:1")
    assert "TLS settings" in _refused(argv, capsys, origin)


# ---------------------------------------------------------------- item 2: outputs checked before any work


def test_compare_out_in_a_read_only_folder_is_refused_before_training(tmp_path, capsys, no_training, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # a read-only folder, also as root
    assert "cannot write" in _refused([*COMPARE, "--out", str(tmp_path / "r.csv")], capsys, "--out")
    assert _listing(tmp_path) == []


@pytest.fixture
def no_study_runs(monkeypatch):
    """The campaign and the precision check must refuse their flags before their first run."""
    from lstm_lib.study import campaign, precision

    def fail(*args, **kwargs):
        raise AssertionError("a run started before the flags were checked")

    monkeypatch.setattr(campaign, "compare", fail)
    monkeypatch.setattr(precision, "compare", fail)
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    return {"campaign": campaign.main, "precision": precision.main}


def _study_refused(main, argv: list[str], capsys, flag: str) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and len(err) <= cli.MAX_MESSAGE + 100, err
    return err


@pytest.mark.parametrize("command", ["campaign", "precision"])
def test_study_commands_check_out_and_workers_before_the_first_run(command, tmp_path, capsys, no_study_runs):
    main = no_study_runs[command]
    afile = tmp_path / "file"
    afile.write_text("x")
    assert "directory" in _study_refused(main, ["--out", str(tmp_path)], capsys, "--out")
    assert "not a folder" in _study_refused(main, ["--out", str(afile / "x.csv")], capsys, "--out")
    _study_refused(main, ["--out", ""], capsys, "--out")
    for workers in ("0", "-1"):
        assert ">= 1" in _study_refused(main, ["--workers", workers], capsys, "--workers")
    assert _listing(tmp_path) == ["file"] and afile.read_text() == "x"


def test_study_command_refuses_a_read_only_folder(tmp_path, capsys, no_study_runs, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    _study_refused(no_study_runs["campaign"], ["--out", str(tmp_path / "x.csv")], capsys, "--out")


def test_study_command_refuses_a_scheduler_that_is_not_there(tmp_path, capsys, no_study_runs, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setenv(SCHEDULER_ENV, "tls://127.0.0.1:1")
    err = _study_refused(no_study_runs["precision"], ["--out", str(tmp_path / "x.csv")], capsys, SCHEDULER_ENV)
    assert "TLS" in err


# ---------------------------------------------------------------- item 3: messages that echo input are bounded


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--lr", BIG],
        ["train", "--method", BIG],
        ["train", "--iterations", BIG],
        ["train", f"--lr={BIG}"],
        ["train", BIG],
        ["compare", "--seeds", BIG],
        ["book", "--profile", BIG],
        ["book", "--chapter", BIG, "--no-build"],
    ],
    ids=lambda argv: " ".join(a[:12] for a in argv),
)
def test_a_huge_value_is_echoed_as_a_short_excerpt(argv, capsys, no_training):
    with pytest.raises(SystemExit) as info:
        raise SystemExit(cli.main(argv))  # book returns its status, the others exit
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and len(err) <= cli.MAX_MESSAGE + 100 and "x" * 100 not in err, err[:300]


def _notebook(path: Path, parameters: str, body: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A one-chapter book whose chapter takes the study chapters' parameters."""
    (tmp_path / "chapters").mkdir(parents=True)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/a\n")
    _notebook(tmp_path / "chapters" / "a.ipynb", 'profile = "full"\noverrides = {}', "open('ran.txt', 'w')")
    return tmp_path


def test_a_chapter_raising_a_megabyte_error_gives_a_short_message(site):
    from lstm_lib.book import runner

    _notebook(site / "chapters" / "a.ipynb", 'profile = "full"\noverrides = {}', "raise ValueError('y' * 1_000_000)")
    with pytest.raises(runner.BookError) as info:
        runner.execute("quick", root=site)
    message = str(info.value)
    assert len(message) <= runner.MAX_ERROR + 200 and "ValueError" in message and "a.failed.ipynb" in message


# ---------------------------------------------------------------- item 4: clear exit 2, not a traceback


def test_a_network_too_big_for_memory_is_refused_before_allocating(capsys, no_training):
    assert "GiB" in _refused(["train", "--n-hidden", "100000000"], capsys, "--n-hidden")
    assert "GiB" in _refused([*COMPARE, "--n-hidden", "100000000"], capsys, "--n-hidden")
    with pytest.raises(ValueError, match="n_hidden=100000000.*GiB"):
        TrainConfig(n_hidden=100_000_000).check_memory(16, 160)


def test_file_names_too_long_are_refused(model, tmp_path, capsys, no_training):
    long = tmp_path / ("a" * 300 + ".pt")
    assert "bytes long" in _refused(["train", *TINY, "--out", str(long)], capsys, "--out")
    argv = ["generate", "--checkpoint", str(model), "--out-csv", str(long.with_suffix(".csv"))]
    assert "bytes long" in _refused(argv, capsys, "--out-csv")
    _refused(["generate", "--checkpoint", str(long)], capsys, "--checkpoint")
    assert _listing(tmp_path) == []


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc, where no file can be created")
def test_outputs_under_proc_are_refused(model, capsys, no_training):
    _refused(["generate", "--checkpoint", str(model), "--out-png", "/proc/x.png"], capsys, "--out-png")
    _refused([*COMPARE, "--out", "/proc/r.csv"], capsys, "--out")


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"profile": "full"}, "overrides cannot set profile"),
        ([1, 2], "overrides must be a mapping"),
        ({1: 2}, "overrides must be a mapping"),
        ({"n_hiden": 4}, "unknown setting 'n_hiden'"),
    ],
)
def test_bad_overrides_are_refused_naming_overrides(overrides, says):
    from lstm_lib.settings import settings_for

    for chapter in ("01_lstm_cell", "05_weighted_training", "08_pytorch_port"):
        with pytest.raises(ValueError, match=says):
            settings_for(chapter, "quick", overrides)


def test_study_for_refuses_profile_in_overrides_by_name():
    from lstm_lib.settings import study_for

    with pytest.raises(ValueError, match="overrides cannot set profile"):
        study_for("quick", **{"profile": "full"})


# ---------------------------------------------------------------- item 5: a bad --chapter exits 2


def test_unknown_chapter_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        raise SystemExit(cli.main(["book", "--chapter", "nope", "--no-build"]))
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--chapter ['nope'] not in _toc.yml" in err, err


# ---------------------------------------------------------------- item 6: the pickle refusal in our words


class _Exploit:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_file_is_refused_saying_it_could_run_code(tmp_path, capsys):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"meta": _Exploit(str(marker))}, path)
    out = tmp_path / "g.csv"
    err = _refused(["generate", "--checkpoint", str(path), "--out-csv", str(out)], capsys, "--checkpoint")
    assert "not a checkpoint of this library" in err and "could run any code" in err, err
    assert "weights_only" not in err and "Re-running" not in err, err
    assert not marker.exists() and not out.exists()


# ---------------------------------------------------------------- item 7: YAML quirks


def test_duplicate_key_in_a_config_is_refused_naming_key_and_line(tmp_path, capsys, no_training):
    path = tmp_path / "dup.yaml"
    path.write_text("lr: 0.1\nmethod: plain\nlr: 0.2\n")
    err = _refused(["train", "--config", str(path)], capsys, "--config")
    assert "duplicate key 'lr' on line 3 (first on line 1)" in err, err


@pytest.mark.parametrize(("text", "value"), [("1e-3", 0.001), ("2E+2", 200.0), ("-1.5e-2", -0.015), (".5", 0.5)])
def test_exponent_without_a_dot_is_read_as_a_number(text, value, tmp_path):
    path = tmp_path / "lr.yaml"
    path.write_text(f"lr: {text}\nname: '1e-3'\n")
    assert load_yaml(path, "--config") == {"lr": value, "name": "1e-3"}
    config = tmp_path / "config.yaml"
    config.write_text("lr: 1e-3\n")
    assert cli.config_from_args(cli.build_parser().parse_args(["train", "--config", str(config)])).lr == 0.001
