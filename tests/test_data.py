"""Is the shipped MNIST unpacked once, verified, safely in parallel, and readable by torchvision?

Every test works on a copy of the four ``.gz`` files in a temporary folder, never on ``data/``.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import data
from tests.helpers import KIT

SOURCES = sorted((KIT / "data").glob("*.gz"))


@pytest.fixture
def mnist(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for source in SOURCES:
        shutil.copyfile(source, folder / source.name)
    return folder


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def snapshot(raw: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in raw.iterdir()}


def test_kit_ships_the_four_files_and_readme_lists_their_md5s():
    assert [p.name for p in SOURCES] == sorted(f"{name}.gz" for name in data.FILES)
    readme = (KIT / "data" / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"\| ([\w-]+)\.gz \|[^|]*\| ([0-9a-f]{32}) \|", readme))
    assert listed == data.FILES
    assert "LeCun" in readme


def test_unpacks_into_torchvisions_layout_with_verified_md5s(mnist):
    assert data.ensure_mnist(mnist) == mnist.resolve()
    raw = mnist / "MNIST" / "raw"
    for name, expected in data.FILES.items():
        assert md5(raw / name) == expected
    assert not list(raw.glob("*.part"))
    assert not list(raw.glob(".*.part"))


def test_second_call_rewrites_nothing(mnist):
    data.ensure_mnist(mnist)
    raw = mnist / "MNIST" / "raw"
    before = snapshot(raw)
    data.ensure_mnist(mnist)
    assert snapshot(raw) == before


def test_a_damaged_unpacked_file_is_unpacked_again(mnist):
    data.ensure_mnist(mnist)
    target = mnist / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    target.write_bytes(target.read_bytes()[:100])
    data.ensure_mnist(mnist)
    assert md5(target) == data.FILES[target.name]


def test_two_processes_at_once_both_succeed(mnist):
    code = "import sys; from grader.data import ensure_mnist; print(ensure_mnist(sys.argv[1]))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(mnist)], cwd=KIT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], results
    assert {out.strip() for out, _ in results} == {str(mnist.resolve())}
    raw = mnist / "MNIST" / "raw"
    for name, expected in data.FILES.items():
        assert md5(raw / name) == expected
    assert not [p.name for p in raw.iterdir() if p.name.endswith(".part")]


def one_line_error(mnist) -> str:
    with pytest.raises(data.DataError) as caught:
        data.ensure_mnist(mnist)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_missing_file_says_what_to_do(mnist):
    (mnist / "train-labels-idx1-ubyte.gz").unlink()
    message = one_line_error(mnist)
    assert "train-labels-idx1-ubyte.gz is missing" in message
    assert "git checkout data/" in message
    assert "--data-dir" in message
    assert "GRADER_DATA" in message


def test_a_file_that_is_not_gzip_is_corrupt(mnist):
    (mnist / "t10k-images-idx3-ubyte.gz").write_bytes(b"this is not gzip at all" * 100)
    message = one_line_error(mnist)
    assert "t10k-images-idx3-ubyte.gz is corrupt" in message
    assert "git checkout data/" in message
    assert not (mnist / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists()


def test_a_truncated_file_is_corrupt(mnist):
    source = mnist / "train-labels-idx1-ubyte.gz"
    source.write_bytes(source.read_bytes()[:1000])
    assert "train-labels-idx1-ubyte.gz is corrupt" in one_line_error(mnist)


def test_wrong_contents_fail_the_md5(mnist):
    with gzip.open(mnist / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x00" * 10008)
    message = one_line_error(mnist)
    assert "t10k-labels-idx1-ubyte.gz is corrupt (md5" in message
    assert data.FILES["t10k-labels-idx1-ubyte"] in message
    raw = mnist / "MNIST" / "raw"
    assert not (raw / "t10k-labels-idx1-ubyte").exists()
    assert not [p for p in raw.iterdir() if p.name.endswith(".part")]


def test_option_then_environment_then_kit(monkeypatch, tmp_path, mnist):
    monkeypatch.delenv(data.ENV, raising=False)
    assert data.data_dir() == (KIT / "data").resolve()
    monkeypatch.setenv(data.ENV, str(mnist))
    assert data.data_dir() == mnist.resolve()
    assert data.data_dir(tmp_path / "elsewhere") == (tmp_path / "elsewhere").resolve()
    assert data.ensure_mnist() == mnist.resolve()  # the environment variable alone is enough
    assert (mnist / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    with pytest.raises(data.DataError, match="elsewhere"):
        data.ensure_mnist(tmp_path / "elsewhere")  # the option wins over the environment


def test_torchvision_reads_the_result(mnist):
    datasets = pytest.importorskip("torchvision.datasets")
    root = data.ensure_mnist(mnist)
    train = datasets.MNIST(str(root), train=True, download=False)
    test = datasets.MNIST(str(root), train=False, download=False)
    assert (len(train), len(test)) == (60000, 10000)
    image, label = test[0]
    assert image.size == (28, 28)
    assert 0 <= label <= 9
